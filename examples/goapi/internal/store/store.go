// Package store keeps the inventory items that the API serves, in memory or
// in PostgreSQL.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when no item has the requested ID.
var ErrNotFound = errors.New("item not found")

// Item is one inventory entry.
type Item struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Quantity  int       `json:"quantity"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Store is the item storage that the HTTP handlers use.
type Store interface {
	// List returns all items ordered by ID.
	List(ctx context.Context) ([]Item, error)
	// Get returns the item with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Item, error)
	// Put inserts or replaces the item with item.ID and sets UpdatedAt.
	Put(ctx context.Context, item Item) (Item, error)
	// Delete removes the item with id, or returns ErrNotFound.
	Delete(ctx context.Context, id string) error
	// Ping checks that the storage is reachable.
	Ping(ctx context.Context) error
	// Close releases connections.
	Close()
}
