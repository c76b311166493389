package app

// SetPasswordCheckedHook makes hook run in every sign-in of s after the
// password matched and before the session opens, so that tests can erase
// the customer or reset the password in between.
func SetPasswordCheckedHook(s *Service, hook func(customerID string)) { s.passwordChecked = hook }
