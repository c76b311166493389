package domain

// Event types as stored in the log.
const (
	EventStoreInstalled     = "StoreInstalled"
	EventAdminCreated       = "AdminCreated"
	EventAdminEmailReserved = "AdminEmailReserved"
)

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
func (StoreInstalled) EventType() string { return EventStoreInstalled }

// EventType returns the type stored in the log.
func (AdminCreated) EventType() string { return EventAdminCreated }

// EventType returns the type stored in the log.
func (AdminEmailReserved) EventType() string { return EventAdminEmailReserved }
