package render

import (
	"net/url"
	"reflect"
	"strings"
	"text/template"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkReceiverFields checks, with field paths, the parts of a receiver that prometheus-operator
// or Alertmanager would refuse only later, when nobody is looking: secret references and URLs.
func checkReceiverFields(r monitoringv1alpha1.Receiver, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	eachSecretRef(reflect.ValueOf(r), p, func(s corev1.SecretKeySelector, sp *field.Path) {
		errs = append(errs, checkSecretRef(s, sp)...)
	})
	for _, u := range receiverURLs(r, p) {
		if err := checkURL(u.value, u.templated); err != "" {
			errs = append(errs, field.Invalid(u.path, u.value, err))
		}
	}
	return append(errs, operatorChecks(r, p)...)
}

// validator is prometheus-operator's own check of a receiver config (OpsGenie, Slack) or of its
// httpConfig.
type validator interface{ Validate() error }

// operatorChecks runs prometheus-operator's own validation of each notification config of the
// receiver, and of its httpConfig, as the operator does before it loads an AlertmanagerConfig:
// what it would refuse is refused here, with the config's field path.
func operatorChecks(r monitoringv1alpha1.Receiver, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	v := reflect.ValueOf(&r).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Slice {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		for j := range f.Len() {
			c := f.Index(j)
			cp := p.Child(name).Index(j)
			if val, ok := c.Addr().Interface().(validator); ok {
				if err := val.Validate(); err != nil {
					errs = append(errs, field.Invalid(cp, "", err.Error()))
				}
			}
			if hc := c.FieldByName("HTTPConfig"); hc.IsValid() && hc.Kind() == reflect.Pointer && !hc.IsNil() {
				if err := hc.Interface().(validator).Validate(); err != nil {
					errs = append(errs, field.Invalid(cp.Child("httpConfig"), "", err.Error()))
				}
			}
		}
	}
	return errs
}

var secretKeySelectorType = reflect.TypeFor[corev1.SecretKeySelector]()

// eachSecretRef calls visit for every secret reference reachable from v, with its field path
// (from the JSON names of prometheus-operator's types, so every receiver kind is covered).
func eachSecretRef(v reflect.Value, p *field.Path, visit func(corev1.SecretKeySelector, *field.Path)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachSecretRef(v.Elem(), p, visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			eachSecretRef(v.Index(i), p.Index(i), visit)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if k.Kind() == reflect.String {
				eachSecretRef(v.MapIndex(k), p.Key(k.String()), visit)
			}
		}
	case reflect.Struct:
		if v.Type() == secretKeySelectorType {
			visit(v.Interface().(corev1.SecretKeySelector), p)
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case name == "" && f.Anonymous:
				eachSecretRef(v.Field(i), p, visit)
			case name == "":
				eachSecretRef(v.Field(i), p.Child(f.Name), visit)
			default:
				eachSecretRef(v.Field(i), p.Child(name), visit)
			}
		}
	}
}

// checkSecretRef checks a reference as Kubernetes checks a Secret's name and keys: the plain
// Alertmanager format turns it into the path <SecretsDir>/<namespace>/<name>/<key>, so a name or
// key holding '/' or '..' would point elsewhere.
func checkSecretRef(s corev1.SecretKeySelector, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "name the Secret"))
	} else if msgs := validation.IsDNS1123Subdomain(s.Name); len(msgs) > 0 {
		errs = append(errs, field.Invalid(p.Child("name"), s.Name, "must be a Secret name: "+strings.Join(msgs, "; ")))
	}
	if s.Key == "" {
		errs = append(errs, field.Required(p.Child("key"), "name the key in the Secret"))
	} else if msgs := validation.IsConfigMapKey(s.Key); len(msgs) > 0 {
		errs = append(errs, field.Invalid(p.Child("key"), s.Key, "must be a Secret key: "+strings.Join(msgs, "; ")))
	}
	return errs
}

// receiverURL is a URL a receiver gives as a plain string.
type receiverURL struct {
	path      *field.Path
	value     string
	templated bool // a Go template is allowed in place of the URL
}

// receiverURLs lists the URLs of a receiver that prometheus-operator or Alertmanager check: the
// fields prometheus-operator types as URL (http(s) only, no templates) and those its
// AlertmanagerConfig validation checks as "template or URL". Secret URLs (slackConfigs.apiURL,
// webhookConfigs.urlSecret, ...) are references and are not seen here; text fields that neither
// checks (slackConfigs.iconURL, titleLink, ...) are left as written.
func receiverURLs(r monitoringv1alpha1.Receiver, p *field.Path) []receiverURL {
	var out []receiverURL
	add := func(path *field.Path, v *string, templated bool) {
		if v != nil && *v != "" {
			out = append(out, receiverURL{path: path, value: *v, templated: templated})
		}
	}
	strict := func(path *field.Path, v *monitoringv1alpha1.URL) { add(path, (*string)(v), false) }
	for i, c := range r.WebhookConfigs {
		add(p.Child("webhookConfigs").Index(i).Child("url"), c.URL, true)
	}
	for i, c := range r.PagerDutyConfigs {
		cp := p.Child("pagerdutyConfigs").Index(i)
		strict(cp.Child("url"), c.URL)
		add(cp.Child("clientURL"), c.ClientURL, true)
		for j, img := range c.PagerDutyImageConfigs {
			add(cp.Child("pagerDutyImageConfigs").Index(j).Child("href"), img.Href, true)
		}
		for j, l := range c.PagerDutyLinkConfigs {
			add(cp.Child("pagerDutyLinkConfigs").Index(j).Child("href"), l.Href, true)
		}
	}
	for i, c := range r.OpsGenieConfigs {
		strict(p.Child("opsgenieConfigs").Index(i).Child("apiURL"), c.APIURL)
	}
	for i, c := range r.DiscordConfigs {
		strict(p.Child("discordConfigs").Index(i).Child("avatarURL"), c.AvatarURL)
	}
	for i, c := range r.WeChatConfigs {
		strict(p.Child("wechatConfigs").Index(i).Child("apiURL"), c.APIURL)
	}
	for i, c := range r.VictorOpsConfigs {
		strict(p.Child("victoropsConfigs").Index(i).Child("apiUrl"), c.APIURL)
	}
	for i, c := range r.PushoverConfigs {
		add(p.Child("pushoverConfigs").Index(i).Child("url"), &c.URL, true)
	}
	for i, c := range r.SNSConfigs {
		add(p.Child("snsConfigs").Index(i).Child("apiURL"), c.ApiURL, true)
	}
	for i, c := range r.TelegramConfigs {
		strict(p.Child("telegramConfigs").Index(i).Child("apiURL"), c.APIURL)
	}
	for i, c := range r.WebexConfigs {
		strict(p.Child("webexConfigs").Index(i).Child("apiURL"), c.APIURL)
	}
	for i, c := range r.RocketChatConfigs {
		cp := p.Child("rocketchatConfigs").Index(i)
		strict(cp.Child("apiURL"), c.APIURL)
		add(cp.Child("iconURL"), c.IconURL, true)
		add(cp.Child("imageURL"), c.ImageURL, true)
		add(cp.Child("thumbURL"), c.ThumbURL, true)
		for j, a := range c.Actions {
			add(cp.Child("actions").Index(j).Child("url"), a.URL, true)
		}
	}
	return out
}

// checkURL checks a URL as Alertmanager parses one: an absolute http or https URL with a host.
// Where a template is allowed, a value holding "{{" must parse as a Go template instead (it is
// expanded per notification). It returns the reason, or "".
func checkURL(s string, templated bool) string {
	if templated && strings.Contains(s, "{{") {
		if _, err := template.New("").Parse(s); err != nil {
			return "must be a URL or a valid Go template: " + err.Error()
		}
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "must be an absolute http(s) URL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an absolute http(s) URL: unsupported scheme " + `"` + u.Scheme + `"`
	case u.Host == "":
		return "must be an absolute http(s) URL: missing host"
	}
	return ""
}
