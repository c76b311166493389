package passwords

import (
	"errors"
	"strings"
	"testing"
)

// fastParams keeps these tests quick. The PHC format is the same.
var fastParams = PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPassword_phcFormat(t *testing.T) {
	hash, err := HashPassword("correct horse battery", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Errorf("hash = %q, want an argon2id PHC string", hash)
	}
	if strings.Contains(hash, "correct horse battery") {
		t.Error("hash contains the password")
	}
	again, _ := HashPassword("correct horse battery", fastParams)
	if again == hash {
		t.Error("two hashes of one password are equal, want distinct salts")
	}
}

func TestVerifyPassword(t *testing.T) {
	hash, err := HashPassword("correct horse battery", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := VerifyPassword(hash, "correct horse battery")
	if err != nil || !ok {
		t.Errorf("right password: ok %v, error %v", ok, err)
	}
	ok, err = VerifyPassword(hash, "correct horse battery!")
	if err != nil || ok {
		t.Errorf("wrong password: ok %v, error %v", ok, err)
	}
}

func TestVerifyPassword_defaultParams(t *testing.T) {
	hash, err := HashPassword("correct horse battery", DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hash = %q", hash)
	}
	if ok, err := VerifyPassword(hash, "correct horse battery"); err != nil || !ok {
		t.Errorf("ok %v, error %v", ok, err)
	}
}

func TestVerifyPassword_rejectsMalformedHash(t *testing.T) {
	valid, _ := HashPassword("pw", fastParams)
	parts := strings.Split(valid, "$")
	cases := map[string]string{
		"empty":         "",
		"bcrypt":        "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":       strings.Replace(valid, "argon2id", "argon2i", 1),
		"old version":   strings.Replace(valid, "v=19", "v=16", 1),
		"huge memory":   strings.Replace(valid, "m=8192", "m=99999999", 1),
		"zero passes":   strings.Replace(valid, "t=1", "t=0", 1),
		"bad salt":      strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"truncated tag": strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
	}
	for name, hash := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := VerifyPassword(hash, "pw"); !errors.Is(err, ErrInvalidPasswordHash) {
				t.Errorf("error = %v, want ErrInvalidPasswordHash", err)
			}
		})
	}
}
