// Package config loads goapi's settings from built-in defaults, an optional
// YAML file and GOAPI_* environment variables, in that order.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the full set of goapi settings.
type Config struct {
	LogLevel        string         `yaml:"log_level"`
	ShutdownTimeout time.Duration  `yaml:"shutdown_timeout"`
	HTTP            ListenerConfig `yaml:"http"`
	GRPC            ListenerConfig `yaml:"grpc"`
	Database        DatabaseConfig `yaml:"database"`
}

// ListenerConfig is the TCP address a server listens on, as host:port.
type ListenerConfig struct {
	Address string `yaml:"address"`
}

// DatabaseConfig selects the item store. An empty URL means the in-memory store.
type DatabaseConfig struct {
	URL            string        `yaml:"url"`
	MaxConns       int32         `yaml:"max_conns"`
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
}

// Default returns the settings used when neither a file nor a variable sets them.
func Default() Config {
	return Config{
		LogLevel:        "info",
		ShutdownTimeout: 10 * time.Second,
		HTTP:            ListenerConfig{Address: ":8080"},
		GRPC:            ListenerConfig{Address: ":9090"},
		Database:        DatabaseConfig{MaxConns: 4, ConnectTimeout: 5 * time.Second},
	}
}

// LookupFunc reads one environment variable, like os.LookupEnv.
type LookupFunc func(name string) (string, bool)

// Load reads the YAML file at path (skipped when path is empty) over the
// defaults, then applies GOAPI_* variables through lookup, then validates.
func Load(path string, lookup LookupFunc) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read configuration file: %w", err)
		}
		decoder := yaml.NewDecoder(bytes.NewReader(data))
		decoder.KnownFields(true)
		if err := decoder.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("parse configuration file %s: %w", path, err)
		}
	}
	if err := applyEnvironment(&cfg, lookup); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func applyEnvironment(cfg *Config, lookup LookupFunc) error {
	textSettings := map[string]*string{
		"GOAPI_LOG_LEVEL":    &cfg.LogLevel,
		"GOAPI_HTTP_ADDRESS": &cfg.HTTP.Address,
		"GOAPI_GRPC_ADDRESS": &cfg.GRPC.Address,
		"GOAPI_DATABASE_URL": &cfg.Database.URL,
	}
	for name, field := range textSettings {
		if value, ok := lookup(name); ok {
			*field = value
		}
	}
	if value, ok := lookup("GOAPI_DATABASE_MAX_CONNS"); ok {
		parsed, err := strconv.ParseInt(value, 10, 32)
		if err != nil {
			return fmt.Errorf("invalid GOAPI_DATABASE_MAX_CONNS %q: expected a whole number", value)
		}
		cfg.Database.MaxConns = int32(parsed)
	}
	if value, ok := lookup("GOAPI_SHUTDOWN_TIMEOUT"); ok {
		parsed, err := time.ParseDuration(value)
		if err != nil {
			return fmt.Errorf("invalid GOAPI_SHUTDOWN_TIMEOUT %q: expected a duration such as 10s", value)
		}
		cfg.ShutdownTimeout = parsed
	}
	return nil
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.HTTP.Address == "":
		return errors.New("invalid configuration: http.address is empty")
	case c.GRPC.Address == "":
		return errors.New("invalid configuration: grpc.address is empty")
	case c.ShutdownTimeout <= 0:
		return fmt.Errorf("invalid configuration: shutdown_timeout is %s, expected more than 0", c.ShutdownTimeout)
	case c.Database.MaxConns < 1:
		return fmt.Errorf("invalid configuration: database.max_conns is %d, expected at least 1", c.Database.MaxConns)
	}
	return nil
}
