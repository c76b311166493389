package domain

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrAlreadyInstalled reports an installation of an installed store.
var ErrAlreadyInstalled = errors.New("store is already installed")

// Store is the store aggregate, rebuilt from the "store" stream. The zero
// value is a store that is not installed. Started is the claim of an
// installation that has not completed yet, nil when there is none.
type Store struct {
	Installed  bool
	Name       string
	AdminID    string
	AdminEmail string
	Started    *StoreInstallStarted
}

// Apply folds one stored event into the store. Unknown types are skipped.
func (s *Store) Apply(eventType string, data []byte) error {
	switch eventType {
	case EventStoreInstallStarted:
		var event StoreInstallStarted
		if err := json.Unmarshal(data, &event); err != nil {
			return fmt.Errorf("decode %s: %w", eventType, err)
		}
		s.Started = &event
	case EventStoreInstalled:
		var event StoreInstalled
		if err := json.Unmarshal(data, &event); err != nil {
			return fmt.Errorf("decode %s: %w", eventType, err)
		}
		*s = Store{Installed: true, Name: event.StoreName, AdminID: event.AdminID, AdminEmail: event.AdminEmail}
	}
	return nil
}

// StartInstall decides the claim of the installation for the admin with
// adminID, whose password hashes to passwordHash. It fails with
// ErrAlreadyInstalled once the store is installed or claimed.
func (s *Store) StartInstall(storeName, adminID, adminEmail, passwordHash string) (StoreInstallStarted, error) {
	if s.Installed || s.Started != nil {
		return StoreInstallStarted{}, ErrAlreadyInstalled
	}
	return StoreInstallStarted{
		StoreName:    storeName,
		AdminID:      adminID,
		AdminEmail:   NormalizeEmail(adminEmail),
		PasswordHash: passwordHash,
	}, nil
}

// Install decides the installation of the store with its first admin.
func (s *Store) Install(storeName, adminID, adminEmail string) (StoreInstalled, error) {
	if s.Installed {
		return StoreInstalled{}, ErrAlreadyInstalled
	}
	return StoreInstalled{StoreName: storeName, AdminID: adminID, AdminEmail: NormalizeEmail(adminEmail)}, nil
}

// Admin is the admin aggregate, rebuilt from an "admin-<id>" stream. The
// zero value is an admin that does not exist.
type Admin struct {
	ID           string
	Email        string
	PasswordHash string
}

// Exists reports whether the admin was created.
func (a *Admin) Exists() bool { return a.ID != "" }

// Apply folds one stored event into the admin. Unknown types are skipped.
func (a *Admin) Apply(eventType string, data []byte) error {
	if eventType != EventAdminCreated {
		return nil
	}
	var event AdminCreated
	if err := json.Unmarshal(data, &event); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	*a = Admin{ID: event.AdminID, Email: event.Email, PasswordHash: event.PasswordHash}
	return nil
}

// EmailReservation is the aggregate of an "adminemail-<hash>" stream.
type EmailReservation struct {
	AdminID string
}

// Apply folds one stored event into the reservation.
func (r *EmailReservation) Apply(eventType string, data []byte) error {
	if eventType != EventAdminEmailReserved {
		return nil
	}
	var event AdminEmailReserved
	if err := json.Unmarshal(data, &event); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	r.AdminID = event.AdminID
	return nil
}
