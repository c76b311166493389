package domain

// Event types as stored in the log.
const (
	EventStoreInstallStarted = "StoreInstallStarted"
	EventStoreInstalled      = "StoreInstalled"
	EventAdminCreated        = "AdminCreated"
	EventAdminEmailReserved  = "AdminEmailReserved"
)

// StoreInstallStarted claims the installation for one admin. It is the
// first event of the "store" stream, so of racing installers only the one
// that appends it goes on. It carries what completing the installation
// needs, the password hash included, so that an installer that stopped
// after it can be completed by running the installer again with the same
// email and password.
type StoreInstallStarted struct {
	StoreName    string `json:"store_name"`
	AdminID      string `json:"admin_id"`
	AdminEmail   string `json:"admin_email"`
	PasswordHash string `json:"password_hash"`
}

// StoreInstalled records the installation of the store and its first admin.
type StoreInstalled struct {
	StoreName  string `json:"store_name"`
	AdminID    string `json:"admin_id"`
	AdminEmail string `json:"admin_email"`
}

// AdminCreated opens an admin account. PasswordHash is an argon2id PHC
// string; the password itself is never stored.
type AdminCreated struct {
	AdminID      string `json:"admin_id"`
	Email        string `json:"email"`
	PasswordHash string `json:"password_hash"`
}

// AdminEmailReserved claims an email address for one admin.
type AdminEmailReserved struct {
	AdminID string `json:"admin_id"`
	Email   string `json:"email"`
}

// EventType returns the type stored in the log.
func (StoreInstallStarted) EventType() string { return EventStoreInstallStarted }

// EventType returns the type stored in the log.
func (StoreInstalled) EventType() string { return EventStoreInstalled }

// EventType returns the type stored in the log.
func (AdminCreated) EventType() string { return EventAdminCreated }

// EventType returns the type stored in the log.
func (AdminEmailReserved) EventType() string { return EventAdminEmailReserved }
