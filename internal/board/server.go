package board

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// Server serves a handler (the board) on an address as a manager Runnable. It does not need
// leader election: every replica serves the board from its own cache.
type Server struct {
	Addr    string
	Handler http.Handler
	// listener, when set, is used instead of listening on Addr (tests).
	listener net.Listener
}

// Listen binds the address now, so that a port in use fails at start-up rather than in the
// background, and Addr then holds the bound address (":0" picks a free port).
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.listener, s.Addr = ln, ln.Addr().String()
	return nil
}

// Start serves until the context ends, then shuts down gracefully.
func (s *Server) Start(ctx context.Context) error {
	if s.listener == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logf.FromContext(ctx).WithName("board").Info("Serving the board", "address", s.Addr)
	err := srv.Serve(s.listener)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}

// NeedLeaderElection is false: every replica serves the board.
func (s *Server) NeedLeaderElection() bool { return false }

// AddToManager serves the board on addr from the manager, in every replica (the Server needs no
// leader election): standards and policies from its cache, events from the API server past the
// cache, budget charts from q (nil: none). It binds addr at once and returns the bound address.
func AddToManager(mgr ctrl.Manager, addr string, q compliance.Querier, cluster render.ClusterLabel) (string, error) {
	srv := &Server{Addr: addr, Handler: New(mgr.GetClient(), q, Options{Events: mgr.GetAPIReader(), Cluster: cluster})}
	if err := srv.Listen(); err != nil {
		return "", err
	}
	return srv.Addr, mgr.Add(srv)
}
