package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func lookupFrom(values map[string]string) LookupFunc {
	return func(name string) (string, bool) {
		value, ok := values[name]
		return value, ok
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load("", lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg != Default() {
		t.Errorf("Load without file or variables = %+v, want %+v", cfg, Default())
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goapi.yaml")
	file := "log_level: debug\nhttp:\n  address: 127.0.0.1:8000\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, lookupFrom(map[string]string{
		"GOAPI_HTTP_ADDRESS":     "127.0.0.1:9000",
		"GOAPI_SHUTDOWN_TIMEOUT": "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != "debug" {
		t.Errorf("log level = %q, want debug from the file", cfg.LogLevel)
	}
	if cfg.HTTP.Address != "127.0.0.1:9000" {
		t.Errorf("HTTP address = %q, want the variable's 127.0.0.1:9000", cfg.HTTP.Address)
	}
	if cfg.ShutdownTimeout != 3*time.Second {
		t.Errorf("shutdown timeout = %s, want 3s", cfg.ShutdownTimeout)
	}
}

func TestLoadRejectsInvalidSettings(t *testing.T) {
	cases := map[string]map[string]string{
		"max conns not a number": {"GOAPI_DATABASE_MAX_CONNS": "many"},
		"max conns zero":         {"GOAPI_DATABASE_MAX_CONNS": "0"},
		"timeout not a duration": {"GOAPI_SHUTDOWN_TIMEOUT": "soon"},
		"empty HTTP address":     {"GOAPI_HTTP_ADDRESS": ""},
	}
	for name, variables := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load("", lookupFrom(variables)); err == nil {
				t.Error("Load returned no error")
			}
		})
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goapi.yaml")
	if err := os.WriteFile(path, []byte("http:\n  adress: :8000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, lookupFrom(nil)); err == nil {
		t.Error("Load accepted the misspelled key adress")
	}
}
