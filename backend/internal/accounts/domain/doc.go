// Package domain holds the accounts context: the store's installation and
// its admin accounts.
//
// The stream "store" contains StoreInstalled, each "admin-<id>" stream
// contains AdminCreated, and each "adminemail-<hash>" stream contains
// AdminEmailReserved, which claims an email for one admin. Installation
// appends the reservation, the admin and StoreInstalled in that order, each
// to an empty stream, so that of two racing installers only one completes.
package domain
