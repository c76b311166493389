package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	accountsports "esimscan/backend/internal/accounts/ports"
	customersapp "esimscan/backend/internal/customers/app"
	customersports "esimscan/backend/internal/customers/ports"
	emailapp "esimscan/backend/internal/email/app"
	emailports "esimscan/backend/internal/email/ports"
	"esimscan/backend/internal/platform/esrepo"
	customerviews "esimscan/projections/customers"
	orderviews "esimscan/projections/orders"
)

// newEmailService builds the email service: SMTP settings, test emails,
// transactional email and the eSIM delivery reaction.
func (s *Server) newEmailService() *emailapp.Service {
	return emailapp.NewService(emailapp.Deps{
		Repo:   &esrepo.Repository{Store: s.store},
		Keys:   s.keys,
		Logger: s.logger,
		Now:    func() time.Time { return time.Now().UTC() },
	})
}

// newCustomersService builds the customers service, which mails through
// mail, and wires it into the orders service, so that orders placed while
// signed in belong to the account and carry a sealed email, and into mail,
// which decrypts those emails for delivery. Links in its emails start with
// the store's public URL.
func (s *Server) newCustomersService(mail *emailapp.Service) *customersapp.Service {
	customers := customersapp.NewService(customersapp.Deps{
		Repo:    &esrepo.Repository{Store: s.store},
		Redis:   s.redis.Client,
		Keys:    s.keys,
		Mailer:  mail,
		BaseURL: s.PublicURL(),
		Logger:  s.logger, // the service adds its component
		Now:     func() time.Time { return time.Now().UTC() },
		Views:   customerviews.NewQueries(s.redis.Client),
		Orders:  orderviews.NewQueries(s.redis.Client),
	})
	s.orders.UseCustomerAccounts(customers)
	mail.UseAddressBook(customers)
	return customers
}

// customerRoutes registers the customer and email endpoints: the public
// ones on api and the admin ones on admin. secureCookies marks the session
// cookie Secure.
func customerRoutes(api, admin fiber.Router, mail *emailapp.Service, customers *customersapp.Service, secureCookies bool) {
	customersports.PublicRoutes(api, customers, secureCookies)
	customersports.AdminRoutes(admin, customers, accountsports.AdminID)
	emailports.AdminRoutes(admin, mail, accountsports.AdminID)
}
