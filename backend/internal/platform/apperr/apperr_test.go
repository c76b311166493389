package apperr

import "testing"

type nested struct {
	Limit int `json:"limit" validate:"min=1"`
}

type command struct {
	Email  string `json:"email" validate:"required,email"`
	Nested nested `json:"nested"`
}

func TestValidate_namesJSONField(t *testing.T) {
	err := Validate(command{Email: "not-an-email", Nested: nested{Limit: 1}})
	appErr, ok := As(err)
	if !ok {
		t.Fatalf("error %v is not an *Error", err)
	}
	if appErr.Field != "email" || appErr.Kind != KindInvalid || appErr.Code != "invalid_email" {
		t.Errorf("got %+v", appErr)
	}

	err = Validate(command{Email: "a@example.test", Nested: nested{Limit: 0}})
	appErr, _ = As(err)
	if appErr == nil || appErr.Field != "nested.limit" {
		t.Errorf("nested field = %+v, want nested.limit", appErr)
	}
	if appErr != nil && appErr.Message != "nested.limit must be at least 1" {
		t.Errorf("message = %q", appErr.Message)
	}

	if err := Validate(command{Email: "a@example.test", Nested: nested{Limit: 3}}); err != nil {
		t.Errorf("valid command: %v", err)
	}
}

type named struct {
	Name string `json:"name" validate:"max=3"`
}

func TestValidate_lengthMessageNamesUnit(t *testing.T) {
	appErr, _ := As(Validate(named{Name: "abcd"}))
	if appErr == nil || appErr.Message != "name must be at most 3 characters" {
		t.Errorf("got %+v", appErr)
	}
}

func TestValidate_emailRejectsHiddenAndQuotedForms(t *testing.T) {
	for _, address := range []string{
		"carol@example.test\u200b",
		"car\u200bol@example.test",
		"carol\u00a0@example.test",
		"carol@example.test\u0007",
		"\u202ecarol@example.test",
		`"carol"@example.test`,
		`"<img src=x onerror=alert(1)>"@example.test`,
		`"a\"b"@example.test`,
		"<img>@example.test",
	} {
		appErr, ok := As(Validate(command{Email: address, Nested: nested{Limit: 1}}))
		if !ok {
			t.Errorf("%+q accepted", address)
			continue
		}
		if appErr.Field != "email" || appErr.Code != "invalid_email" {
			t.Errorf("%+q: field %q code %q; want email, invalid_email", address, appErr.Field, appErr.Code)
		}
	}
	for _, address := range []string{"carol@example.test", "zo\u00eb@example.test", "first.last+tag@sub.example.test"} {
		if err := Validate(command{Email: address, Nested: nested{Limit: 1}}); err != nil {
			t.Errorf("%+q rejected: %v", address, err)
		}
	}
}
