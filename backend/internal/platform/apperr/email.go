package apperr

import (
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"
)

// standardRules checks values against go-playground/validator's own rules,
// for rules that the shared validator replaces and builds on.
var standardRules = validator.New()

// ValidEmail reports whether address passes the "email" rule of the shared
// validator: validator's own email check, and no quoted local part, no
// backslash and no invisible, control or separator character such as
// U+200B (zero-width space). Such characters and quoting let one mailbox
// be spelled many ways, and quoted local parts can carry markup.
func ValidEmail(address string) bool {
	if strings.ContainsAny(address, "\"\\") {
		return false
	}
	for _, r := range address {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z) {
			return false
		}
	}
	return standardRules.Var(address, "email") == nil
}

func validateEmail(field validator.FieldLevel) bool {
	return ValidEmail(field.Field().String())
}
