// Package domain holds the accounts context: the store's installation and
// its admin accounts.
//
// The stream "store" contains StoreInstallStarted and then StoreInstalled,
// each "admin-<id>" stream contains AdminCreated, and each
// "adminemail-<hash>" stream contains AdminEmailReserved, which claims an
// email for one admin. Installation appends StoreInstallStarted to the
// empty "store" stream first, so of racing installers only one goes on
// and the others append nothing. The winner then appends the reservation,
// the admin and StoreInstalled. A later install with the same email and
// password completes an installation that stopped after the claim.
package domain
