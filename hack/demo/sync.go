package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// configSync plays prometheus-operator's part on loopback: it renders the standards in the API
// server into a plain rule file for Prometheus and a plain configuration for Alertmanager, and
// reloads them when the rendering changes.
type configSync struct {
	client                      client.Client
	rulesPath, amPath           string
	prometheusURL, amURL        string
	interval                    time.Duration
	lastRules, lastAlertmanager []byte

	mu      sync.Mutex
	synced  int       // standards in the last configuration loaded into both
	loaded  time.Time // when it was loaded
	skipped map[string]string
}

// run syncs every interval until ctx ends.
func (s *configSync) run(ctx context.Context) {
	for {
		if err := s.once(ctx); err != nil && ctx.Err() == nil {
			log.Printf("config sync: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.interval):
		}
	}
}

// state returns how many standards the loaded configuration holds, and since when.
func (s *configSync) state() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced, s.loaded
}

func (s *configSync) once(ctx context.Context) error {
	var stds pledgev1.ServiceStandardList
	if err := s.client.List(ctx, &stds); err != nil {
		return err
	}
	var policies pledgev1.EscalationPolicyList
	if err := s.client.List(ctx, &policies); err != nil {
		return err
	}
	byName := map[types.NamespacedName]*pledgev1.EscalationPolicy{}
	for i := range policies.Items {
		p := &policies.Items[i]
		byName[types.NamespacedName{Namespace: p.Namespace, Name: p.Name}] = p
	}
	items := stds.Items
	slices.SortFunc(items, func(a, b pledgev1.ServiceStandard) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	var resolved []*render.Standard
	skipped := map[string]string{}
	for i := range items {
		std := &items[i]
		var policy *pledgev1.EscalationPolicy
		if e := std.Spec.Escalation; e != nil && e.PolicyRef != nil {
			policy = byName[types.NamespacedName{Namespace: std.Namespace, Name: e.PolicyRef.Name}]
		}
		r, errs := render.Resolve(std, policy)
		if len(errs) > 0 {
			skipped[std.Namespace+"/"+std.Name] = errs.ToAggregate().Error()
			continue
		}
		resolved = append(resolved, r)
	}
	s.report(skipped)
	rules, err := render.RulesFile(resolved)
	if err != nil {
		return fmt.Errorf("rendering rules: %w", err)
	}
	am, err := render.AlertmanagerFile(resolved, render.SMTP{})
	if err != nil {
		return fmt.Errorf("rendering the Alertmanager configuration: %w", err)
	}
	changed := false
	if !bytes.Equal(rules, s.lastRules) {
		if err := writeAndReload(ctx, s.rulesPath, rules, s.prometheusURL); err != nil {
			return fmt.Errorf("prometheus: %w", err)
		}
		s.lastRules, changed = rules, true
	}
	if !bytes.Equal(am, s.lastAlertmanager) {
		if err := writeAndReload(ctx, s.amPath, am, s.amURL); err != nil {
			return fmt.Errorf("alertmanager: %w", err)
		}
		s.lastAlertmanager, changed = am, true
	}
	if changed {
		log.Printf("config sync: loaded %d standard(s) into Prometheus (%d rule groups) and Alertmanager",
			len(resolved), bytes.Count(rules, []byte("\n  - name: ")))
		s.mu.Lock()
		s.synced, s.loaded = len(resolved), time.Now()
		s.mu.Unlock()
	}
	return nil
}

// report logs standards that cannot be rendered, once per reason.
func (s *configSync) report(skipped map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, reason := range skipped {
		if s.skipped[k] != reason {
			log.Printf("config sync: skipping %s: %s", k, reason)
		}
	}
	s.skipped = skipped
}

// writeAndReload replaces a configuration file and makes the server re-read it. When the server
// refuses it, the previous file is put back so that a restart still works.
func writeAndReload(ctx context.Context, path string, content []byte, url string) error {
	old, _ := os.ReadFile(path)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return err
	}
	if err := reload(ctx, url); err != nil {
		_ = os.WriteFile(path, old, 0o644)
		return err
	}
	return nil
}

func reload(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return procs.PostOK(ctx, base+"/-/reload")
}
