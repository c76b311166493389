// Package app runs the commands of the customers context: registration,
// email verification, sign-in with Redis sessions, password reset, order
// ownership and erasure of personal data.
package app

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/text/unicode/norm"

	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/passwords"
	"esimscan/backend/internal/platform/secrets"
	customerviews "esimscan/projections/customers"
)

// Lifetimes.
const (
	DefaultSessionTTL  = 30 * 24 * time.Hour
	VerificationTTL    = 48 * time.Hour
	PasswordResetTTL   = time.Hour
	maxPasswordBytes   = 1024
	minPasswordLength  = 10
	emailAttempts      = 5
	emailRetryInterval = 2 * time.Second
)

// ErasedEmail is the text shown in place of an erased customer's email.
const ErasedEmail = "erased"

// Mailer sends one email. The email application's Service implements it.
type Mailer interface {
	Send(ctx context.Context, to, subject, text, html string) error
}

// Deps are the collaborators of the customers service. BaseURL is the
// store's public address, such as https://shop.example.com, which the
// links in emails start with. Views and Orders are the customers and
// orders read models that the customer list and a customer's orders read.
// MailLimits bound the emails anyone can trigger, DefaultMailLimits when
// zero.
type Deps struct {
	Repo           *esrepo.Repository
	Redis          redis.UniversalClient
	Keys           *secrets.Keyring
	Mailer         Mailer
	BaseURL        string
	Logger         zerolog.Logger
	Now            func() time.Time
	SessionTTL     time.Duration
	PasswordParams passwords.PasswordParams
	Views          *customerviews.Queries
	Orders         OrderViews
	MailLimits     MailLimits
}

// Service runs customer commands. It is safe for concurrent use.
type Service struct {
	repo           *esrepo.Repository
	redis          redis.UniversalClient
	keys           *secrets.Keyring
	mailer         Mailer
	baseURL        string
	logger         zerolog.Logger
	now            func() time.Time
	sessionTTL     time.Duration
	passwordParams passwords.PasswordParams
	views          *customerviews.Queries
	orders         OrderViews
	mailLimits     MailLimits

	lookupMu  sync.Mutex
	lookupKey []byte

	dummyOnce sync.Once
	dummyHash string
	mails     sync.WaitGroup

	// passwordChecked, when set by a test, runs after a sign-in's password
	// matched and before its session opens.
	passwordChecked func(customerID string)
}

// NewService returns a Service with defaults for zero Deps fields.
func NewService(deps Deps) *Service {
	s := &Service{
		repo:           deps.Repo,
		redis:          deps.Redis,
		keys:           deps.Keys,
		mailer:         deps.Mailer,
		baseURL:        strings.TrimRight(deps.BaseURL, "/"),
		logger:         deps.Logger.With().Str("component", "customers").Logger(),
		now:            deps.Now,
		sessionTTL:     deps.SessionTTL,
		passwordParams: deps.PasswordParams,
		views:          deps.Views,
		orders:         deps.Orders,
		mailLimits:     deps.MailLimits,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	if s.passwordParams == (passwords.PasswordParams{}) {
		s.passwordParams = passwords.DefaultPasswordParams
	}
	if s.mailLimits == (MailLimits{}) {
		s.mailLimits = DefaultMailLimits
	}
	return s
}

// Wait blocks until every email started in the background was sent or
// given up, for tests and shutdown.
func (s *Service) Wait() { s.mails.Wait() }

// NormalizeEmail trims and lower-cases an email address and puts it in
// Unicode normalization form C, so that the composed and decomposed
// spellings of one address, such as "zoë" typed as "zoe" and U+0308, are
// one account and one guest.
// NOTE: an account registered with a decomposed address before this
// normalization existed is found only by that spelling's hash, which no
// longer matches.
func NormalizeEmail(email string) string {
	return norm.NFC.String(strings.ToLower(strings.TrimSpace(email)))
}

// emailHash returns the hex HMAC-SHA256 of the normalized email under the
// store's lookup key.
func (s *Service) emailHash(ctx context.Context, email string) (string, error) {
	key, err := s.loadLookupKey(ctx)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// loadLookupKey returns the lookup key, issuing it on first use. Of two
// processes issuing at once, the append of one fails and it reads the
// other's key.
func (s *Service) loadLookupKey(ctx context.Context) ([]byte, error) {
	s.lookupMu.Lock()
	defer s.lookupMu.Unlock()
	if s.lookupKey != nil {
		return s.lookupKey, nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		var issued domain.CustomerLookupKeyIssued
		expected, err := s.repo.Load(ctx, domain.LookupKeyStream, func(event eventstore.RecordedEvent) error {
			if event.Type == domain.EventLookupKeyIssued && issued.SealedKey == "" {
				return jsonDecode(event.Data, &issued)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load customer lookup key: %w", err)
		}
		if issued.SealedKey != "" {
			key, err := s.keys.Open(issued.SealedKey, "customers:lookup-key")
			if err != nil {
				return nil, fmt.Errorf("open customer lookup key: %w", err)
			}
			s.lookupKey = key
			return key, nil
		}
		sealed, err := s.keys.Seal(randomBytes(32), "customers:lookup-key")
		if err != nil {
			return nil, fmt.Errorf("seal customer lookup key: %w", err)
		}
		_, err = s.repo.Append(ctx, domain.LookupKeyStream, expected,
			domain.CustomerLookupKeyIssued{SealedKey: sealed, IssuedAt: s.now().UTC()})
		if err != nil && !errors.Is(err, esrepo.ErrConflict) {
			return nil, fmt.Errorf("issue customer lookup key: %w", err)
		}
	}
	return nil, errors.New("issue customer lookup key: the stream keeps changing")
}

// dataKey returns the customer's data key, or nil when it was erased or
// never issued.
func (s *Service) dataKey(ctx context.Context, customerID string) ([]byte, domain.Key, error) {
	var key domain.Key
	_, err := s.repo.Load(ctx, domain.KeyStream(customerID), func(event eventstore.RecordedEvent) error {
		return key.Apply(event.Type, event.Data)
	})
	if err != nil {
		return nil, domain.Key{}, fmt.Errorf("load data key of customer %s: %w", customerID, err)
	}
	if !key.Usable() {
		return nil, key, nil
	}
	raw, err := s.keys.Open(key.SealedKey, "customer-key:"+customerID)
	if err != nil {
		return nil, key, fmt.Errorf("open data key of customer %s: %w", customerID, err)
	}
	return raw, key, nil
}

// sealWith encrypts plaintext with AES-256-GCM under key, bound to
// associatedData.
func sealWith(key []byte, plaintext, associatedData string) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := randomBytes(aead.NonceSize())
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), []byte(associatedData))
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// openWith reverses sealWith.
func openWith(key []byte, sealed, associatedData string) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", errors.New("malformed sealed customer data")
	}
	plaintext, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(associatedData))
	if err != nil {
		return "", errors.New("customer data does not authenticate under its data key")
	}
	return string(plaintext), nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create aes cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

func emailAssociatedData(customerID string) string { return "customer:" + customerID + ":email" }

func randomBytes(n int) []byte {
	raw := make([]byte, n)
	_, _ = rand.Read(raw) // crypto/rand.Read returns no error since Go 1.24
	return raw
}

// newToken returns a single-use token that names its customer, so that
// no index is needed to find it: "<customer id>.<32 random bytes>".
func newToken(customerID string) string {
	return customerID + "." + base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// hashToken returns the hex SHA-256 of token, the form kept in the log.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenCustomer returns the customer id that token names, or "".
func tokenCustomer(token string) string {
	id, _, found := strings.Cut(token, ".")
	if !found || !validID(id) {
		return ""
	}
	return id
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// loadCustomer rebuilds the customer and returns the revision to append
// with.
func (s *Service) loadCustomer(ctx context.Context, customerID string) (*domain.Customer, eventstore.ExpectedRevision, error) {
	customer := &domain.Customer{}
	expected, err := s.repo.Load(ctx, domain.CustomerStream(customerID), func(event eventstore.RecordedEvent) error {
		return customer.Apply(event.Type, event.Data)
	})
	if err != nil {
		return nil, eventstore.ExpectedRevision{}, fmt.Errorf("load customer %s: %w", customerID, err)
	}
	return customer, expected, nil
}

// customerByEmail returns the customer id reserved for email, or "".
func (s *Service) customerByEmail(ctx context.Context, email string) (string, error) {
	hash, err := s.emailHash(ctx, email)
	if err != nil {
		return "", err
	}
	return s.customerWithEmailHash(ctx, hash)
}

// customerWithEmailHash returns the customer id reserved for the email
// with keyed hash hash, or "".
func (s *Service) customerWithEmailHash(ctx context.Context, hash string) (string, error) {
	customerID, _, err := s.emailReservation(ctx, hash)
	return customerID, err
}

// emailReservation returns the customer id that the latest reservation of
// the email with keyed hash hash names, or "", and the revision to append
// a new reservation with. A reservation follows an earlier one only once
// the earlier customer was erased.
func (s *Service) emailReservation(ctx context.Context, hash string) (string, eventstore.ExpectedRevision, error) {
	var reserved domain.CustomerEmailReserved
	expected, err := s.repo.Load(ctx, domain.EmailStream(hash), func(event eventstore.RecordedEvent) error {
		if event.Type == domain.EventCustomerEmailReserved {
			return jsonDecode(event.Data, &reserved)
		}
		return nil
	})
	if err != nil {
		return "", eventstore.ExpectedRevision{}, fmt.Errorf("load customer email reservation: %w", err)
	}
	return reserved.CustomerID, expected, nil
}

// mailInBackground sends an email in a goroutine, retrying a few times, so
// that the request's timing does not depend on the SMTP server.
func (s *Service) mailInBackground(to, subject, text string) {
	if s.mailer == nil {
		s.logger.Warn().Msg("no mailer configured; customer email dropped")
		return
	}
	s.mails.Add(1)
	go func() {
		defer s.mails.Done()
		for attempt := 1; attempt <= emailAttempts; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := s.mailer.Send(ctx, to, subject, text, "")
			cancel()
			if err == nil {
				return
			}
			s.logger.Warn().Err(err).Int("attempt", attempt).Msg("customer email failed")
			time.Sleep(emailRetryInterval * time.Duration(attempt))
		}
		s.logger.Error().Msg("customer email given up")
	}()
}
