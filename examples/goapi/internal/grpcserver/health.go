// Package grpcserver runs the standard gRPC health service (grpc.health.v1)
// and server reflection, so that grpc_health_probe and grpcurl work against
// goapi.
package grpcserver

import (
	"context"
	"net"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"example.com/goapi/internal/metrics"
)

// ServiceName is the name under which the health service reports goapi.
const ServiceName = "goapi.v1.Inventory"

// Server is the gRPC server with its health status.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
	logger *zap.Logger
}

// New creates the server and marks goapi as serving.
func New(logger *zap.Logger, registry *metrics.Registry) *Server {
	server := grpc.NewServer(
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute}),
		grpc.ChainUnaryInterceptor(countHealthChecks(registry)),
	)
	healthServer := health.NewServer()
	healthServer.SetServingStatus(ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, healthServer)
	reflection.Register(server)
	return &Server{grpc: server, health: healthServer, logger: logger}
}

// Serve accepts connections on listener until Stop.
func (s *Server) Serve(listener net.Listener) error {
	return s.grpc.Serve(listener)
}

// Stop reports NOT_SERVING, then stops gracefully, or at once when ctx ends first.
func (s *Server) Stop(ctx context.Context) {
	s.health.Shutdown()
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.logger.Warn("gRPC graceful stop timed out, closing connections", zap.Error(ctx.Err()))
		s.grpc.Stop()
	}
}

func countHealthChecks(registry *metrics.Registry) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, request any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		response, err := handler(ctx, request)
		if info.FullMethod == healthpb.Health_Check_FullMethodName {
			status := "error"
			if checked, ok := response.(*healthpb.HealthCheckResponse); ok && err == nil {
				status = checked.GetStatus().String()
			}
			registry.HealthChecks.WithLabelValues(status).Inc()
		}
		return response, err
	}
}
