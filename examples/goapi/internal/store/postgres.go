package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const createTable = `CREATE TABLE IF NOT EXISTS items (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	quantity   INTEGER NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// Postgres is a Store in the PostgreSQL table items, which OpenPostgres creates
// when it is missing.
type Postgres struct {
	pool *pgxpool.Pool
}

// OpenPostgres connects to the database at url (a postgres:// URL or a
// key=value connection string) with at most maxConns connections.
func OpenPostgres(ctx context.Context, url string, maxConns int32) (*Postgres, error) {
	poolConfig, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %w", err)
	}
	poolConfig.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(ctx, poolConfig)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if _, err := pool.Exec(ctx, createTable); err != nil {
		pool.Close()
		return nil, fmt.Errorf("create table items: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

func (p *Postgres) List(ctx context.Context) ([]Item, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, name, quantity, updated_at FROM items ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	items, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Item])
	if err != nil {
		return nil, fmt.Errorf("read items: %w", err)
	}
	return items, nil
}

func (p *Postgres) Get(ctx context.Context, id string) (Item, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, name, quantity, updated_at FROM items WHERE id = $1`, id)
	if err != nil {
		return Item{}, fmt.Errorf("get item %s: %w", id, err)
	}
	item, err := pgx.CollectOneRow(rows, pgx.RowToStructByPos[Item])
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, ErrNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("read item %s: %w", id, err)
	}
	return item, nil
}

func (p *Postgres) Put(ctx context.Context, item Item) (Item, error) {
	row := p.pool.QueryRow(ctx,
		`INSERT INTO items (id, name, quantity, updated_at) VALUES ($1, $2, $3, now())
		 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, quantity = EXCLUDED.quantity, updated_at = now()
		 RETURNING updated_at`,
		item.ID, item.Name, item.Quantity)
	if err := row.Scan(&item.UpdatedAt); err != nil {
		return Item{}, fmt.Errorf("put item %s: %w", item.ID, err)
	}
	return item, nil
}

func (p *Postgres) Delete(ctx context.Context, id string) error {
	tag, err := p.pool.Exec(ctx, `DELETE FROM items WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete item %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

func (p *Postgres) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

func (p *Postgres) Close() { p.pool.Close() }
