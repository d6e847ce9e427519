package render

import (
	"encoding/json"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateReceivers(rs []monitoringv1alpha1.Receiver, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, r := range rs {
		np := p.Index(i).Child("name")
		switch {
		case r.Name == "":
			errs = append(errs, field.Required(np, "name the receiver"))
		case seen[r.Name]:
			errs = append(errs, field.Duplicate(np, r.Name))
		}
		seen[r.Name] = true
		if receiverConfigs(r) == 0 {
			errs = append(errs, field.Required(p.Index(i), "a receiver needs at least one notification config (webhookConfigs, emailConfigs, slackConfigs, pagerdutyConfigs, ...)"))
		}
	}
	return errs
}

// receiverConfigs counts the notification configs of a receiver, whatever their kind.
func receiverConfigs(r monitoringv1alpha1.Receiver) int {
	m := receiverMap(r)
	n := 0
	for k, v := range m {
		if list, ok := v.([]any); ok && k != "name" {
			n += len(list)
		}
	}
	return n
}

// receiverMap is the receiver as JSON fields (camelCase), the form shared by both outputs.
func receiverMap(r monitoringv1alpha1.Receiver) map[string]any {
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}
