package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"unique"

	corev1 "k8s.io/api/core/v1"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// FieldManager is the server-side apply field manager of the ServiceStandard controller.
const FieldManager = "pledge"

// errConflict reports an existing object of the generated name that Pledge did not create.
type errConflict struct{ kind, namespace, name string }

func (e errConflict) Error() string {
	return fmt.Sprintf("%s %s/%s exists and was not created by this ServiceStandard; rename or delete it", e.kind, e.namespace, e.name)
}

// generated is a desired object and a fresh, empty instance of its type for reading.
type generated struct {
	kind    string
	desired client.Object
	current client.Object
	// same reports whether the current object already holds the desired content.
	same func(current, desired client.Object) bool
}

// applier writes generated objects with server-side apply, owned by their standard.
type applier struct {
	client.Client
	// APIReader reads from the API server, past the cache: the cache holds only the generated
	// objects labelled as Pledge's.
	APIReader client.Reader
	Scheme    *runtime.Scheme
}

// applyGenerated writes one generated object with server-side apply, unless the object in
// the cache already says the same. It refuses to take over an object it did not create.
// It returns whether it wrote.
func (r *applier) applyGenerated(ctx context.Context, std *pledgev1.ServiceStandard, g generated) (bool, error) {
	if err := controllerutil.SetControllerReference(std, g.desired, r.Scheme); err != nil {
		return false, err
	}
	key := client.ObjectKeyFromObject(g.desired)
	err := r.Get(ctx, key, g.current)
	if apierrors.IsNotFound(err) {
		// The cache holds only objects labelled as Pledge's: ask the API server whether the
		// name is free or taken by an object without the label (someone else's, or ours with
		// the label removed).
		err = r.APIReader.Get(ctx, key, g.current)
	}
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return false, err
	case !metav1IsControlledBy(g.current, std):
		return false, errConflict{g.kind, key.Namespace, key.Name}
	case g.same(g.current, g.desired) && labelsInclude(g.current.GetLabels(), g.desired.GetLabels()):
		return false, nil
	}
	u, err := toUnstructured(g.desired)
	if err != nil {
		return false, err
	}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return false, fmt.Errorf("applying %s %s: %w", g.kind, key, err)
	}
	return true, nil
}

// deleteGenerated removes a generated object that is no longer wanted, if it is ours.
func (r *applier) deleteGenerated(ctx context.Context, std *pledgev1.ServiceStandard, obj client.Object) (bool, error) {
	if err := r.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	if !metav1IsControlledBy(obj, std) {
		return false, nil
	}
	if err := r.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return false, err
	}
	return true, nil
}

func metav1IsControlledBy(obj client.Object, owner client.Object) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && ref.UID == owner.GetUID() {
			return true
		}
	}
	return false
}

func labelsInclude(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// toUnstructured converts a typed object for an apply configuration (see render.Unstructured).
func toUnstructured(obj client.Object) (*unstructured.Unstructured, error) {
	m, err := render.Unstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}

func semanticEqual(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }

// cachedSpecDigest is a label on the cache's copies of generated objects, never on the
// objects themselves: the cache drops their spec (most of the manager's memory) and keeps its
// digest, which is all applyGenerated needs to skip a write that would change nothing. A label
// rather than an annotation: every generated object has a labels map already (the cache selects
// on it), where the digest costs its string alone; a map of annotations made for it cost about
// 300 bytes more per object (6 MiB at 10,000 standards).
const cachedSpecDigest = "pledge.dev/cached-spec-digest"

// compactGenerated is the cache's transform: a PrometheusRule's or AlertmanagerConfig's spec
// and managedFields are replaced by the spec's digest. Other objects are kept without their
// managedFields (about 1.5 KiB of a standard's) and without kubectl's last-applied
// configuration (a copy of the whole object as applied, on everything `kubectl apply` wrote
// without --server-side), which nothing in the manager reads. The manager never writes a
// cached object back whole: statuses are merge patches between two copies of the cached object,
// so what the cache leaves out stays on the server. The words every cached object repeats
// (kinds, namespaces, label keys, condition types and reasons) are kept once (internMeta).
func compactGenerated(obj any) (any, error) {
	var meta *metav1.ObjectMeta
	var spec any
	switch o := obj.(type) {
	case *monitoringv1.PrometheusRule:
		meta, spec = &o.ObjectMeta, o.Spec
		o.Spec = monitoringv1.PrometheusRuleSpec{}
		internMeta(&o.TypeMeta, meta)
	case *monitoringv1alpha1.AlertmanagerConfig:
		meta, spec = &o.ObjectMeta, o.Spec
		o.Spec = monitoringv1alpha1.AlertmanagerConfigSpec{}
		internMeta(&o.TypeMeta, meta)
	case *pledgev1.ServiceStandard:
		dropClientFields(o)
		internMeta(&o.TypeMeta, &o.ObjectMeta)
		for i := range o.Status.Conditions {
			c := &o.Status.Conditions[i]
			c.Type, c.Reason = intern(c.Type), intern(c.Reason)
			c.Status = metav1.ConditionStatus(intern(string(c.Status)))
		}
		for i := range o.Status.Generated {
			o.Status.Generated[i].Kind = intern(o.Status.Generated[i].Kind)
		}
		return obj, nil
	case metav1.Object:
		dropClientFields(o)
		return obj, nil
	default:
		return obj, nil
	}
	if _, done := meta.Labels[cachedSpecDigest]; done && reflect.ValueOf(spec).IsZero() {
		return obj, nil // transformed before
	}
	if meta.Labels == nil {
		meta.Labels = map[string]string{}
	}
	meta.Labels[cachedSpecDigest] = specDigest(spec)
	meta.ManagedFields = nil
	return obj, nil
}

// dropClientFields removes what clients wrote for themselves: managedFields and kubectl's
// last-applied configuration.
func dropClientFields(o metav1.Object) {
	o.SetManagedFields(nil)
	if a := o.GetAnnotations(); a[corev1.LastAppliedConfigAnnotation] != "" {
		delete(a, corev1.LastAppliedConfigAnnotation)
	}
}

// internMeta makes a cached object share one copy of the strings that thousands of them
// repeat: its kind and API version, namespace, label keys, the managed-by label's value and
// its owner's kind, which the decoder allocates anew for each (about 150 bytes of a generated
// object's 1 KB; BenchmarkCachedObject).
func internMeta(t *metav1.TypeMeta, m *metav1.ObjectMeta) {
	t.APIVersion, t.Kind = intern(t.APIVersion), intern(t.Kind)
	m.Namespace = intern(m.Namespace)
	if len(m.Labels) > 0 {
		labels := make(map[string]string, len(m.Labels))
		for k, v := range m.Labels {
			if k == render.LabelManagedBy {
				v = intern(v)
			}
			labels[intern(k)] = v
		}
		m.Labels = labels
	}
	for i := range m.OwnerReferences {
		r := &m.OwnerReferences[i]
		r.APIVersion, r.Kind = intern(r.APIVersion), intern(r.Kind)
	}
}

// intern returns the one copy of s the process keeps while anything refers to it.
func intern(s string) string { return unique.Make(s).Value() }

// sameSpec reports whether current, as cached (spec replaced by its digest) or as read from
// the API server, holds desiredSpec.
func sameSpec(current client.Object, currentSpec, desiredSpec any) bool {
	have, cached := current.GetLabels()[cachedSpecDigest]
	if !cached {
		have = specDigest(currentSpec)
	}
	return have == specDigest(desiredSpec)
}

// specDigest is a digest of spec's JSON document whatever the order of keys inside embedded
// raw JSON: the API server returns AlertmanagerConfig child routes with their keys sorted,
// while they are built in struct-field order. Decoding into maps and encoding again sorts them.
func specDigest(spec any) string {
	js, err := json.Marshal(spec)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	var doc any
	if err := json.Unmarshal(js, &doc); err != nil {
		return "undecodable: " + err.Error()
	}
	if js, err = json.Marshal(doc); err != nil {
		return "unencodable: " + err.Error()
	}
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:])
}
