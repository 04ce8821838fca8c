package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"example.com/goapi/internal/buildinfo"
	"example.com/goapi/internal/config"
	"example.com/goapi/internal/grpcserver"
	"example.com/goapi/internal/httpapi"
	"example.com/goapi/internal/metrics"
	"example.com/goapi/internal/store"
)

func newServeCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the HTTP API and the gRPC health server until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath, os.LookupEnv)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfg)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "path of a YAML configuration file (default: built-in settings)")
	return cmd
}

func newCheckConfigCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Load the configuration, apply GOAPI_* variables, and print the result as YAML",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath, os.LookupEnv)
			if err != nil {
				return err
			}
			encoder := yaml.NewEncoder(cmd.OutOrStdout())
			encoder.SetIndent(2)
			if err := encoder.Encode(cfg); err != nil {
				return fmt.Errorf("encode configuration: %w", err)
			}
			return encoder.Close()
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "path of a YAML configuration file (default: built-in settings)")
	return cmd
}

func newLogger(level string) (*zap.Logger, error) {
	parsed, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("invalid log level %q (expected debug, info, warn or error): %w", level, err)
	}
	zapConfig := zap.NewProductionConfig()
	zapConfig.Level = zap.NewAtomicLevelAt(parsed)
	zapConfig.EncoderConfig.TimeKey = "time"
	zapConfig.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return zapConfig.Build(zap.Fields(zap.String("service", "goapi"), zap.String("version", buildinfo.Version)))
}

func openStore(ctx context.Context, cfg config.Config, logger *zap.Logger) (store.Store, error) {
	if cfg.Database.URL == "" {
		logger.Info("using the in-memory store", zap.String("reason", "database.url is empty"))
		return store.NewMemory(), nil
	}
	connectCtx, cancel := context.WithTimeout(ctx, cfg.Database.ConnectTimeout)
	defer cancel()
	db, err := store.OpenPostgres(connectCtx, cfg.Database.URL, cfg.Database.MaxConns)
	if err != nil {
		return nil, err
	}
	logger.Info("connected to PostgreSQL", zap.Int32("max_conns", cfg.Database.MaxConns))
	return db, nil
}

// serve runs both servers until ctx ends or one of them fails, then shuts
// both down within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg config.Config) error {
	logger, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	items, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer items.Close()

	registry := metrics.NewRegistry()
	httpServer := &http.Server{
		Addr:              cfg.HTTP.Address,
		Handler:           httpapi.NewRouter(items, registry, logger),
		ReadHeaderTimeout: 5 * time.Second,
	}
	grpcListener, err := net.Listen("tcp", cfg.GRPC.Address)
	if err != nil {
		return fmt.Errorf("listen for gRPC on %s: %w", cfg.GRPC.Address, err)
	}
	health := grpcserver.New(logger, registry)

	group, groupCtx := errgroup.WithContext(ctx)
	group.Go(func() error {
		logger.Info("HTTP server started", zap.String("address", cfg.HTTP.Address))
		if err := httpServer.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("HTTP server on %s: %w", cfg.HTTP.Address, err)
		}
		return nil
	})
	group.Go(func() error {
		logger.Info("gRPC server started", zap.String("address", cfg.GRPC.Address))
		return health.Serve(grpcListener)
	})
	group.Go(func() error {
		<-groupCtx.Done()
		logger.Info("shutting down", zap.Duration("timeout", cfg.ShutdownTimeout))
		shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		health.Stop(shutdownCtx)
		if err := httpServer.Shutdown(shutdownCtx); err != nil {
			logger.Error("HTTP shutdown failed", zap.Error(err))
			return err
		}
		logger.Info("servers stopped")
		return nil
	})
	return group.Wait()
}
