package render_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// everyReceiverKind is a standard whose tiers have one receiver of every kind prometheus-operator's
// AlertmanagerConfig knows but WeChat (whose API secret Alertmanager reads only inline), with
// typical fields and secret references.
const everyReceiverKind = `apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: kinds, namespace: shop}
spec:
  service: kinds
  objectives:
    - name: availability
      target: "99.9"
      ratio: {errors: 'x_total{code="500"}', total: x_total}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers:
          - name: webhook
            webhookConfigs: [{urlSecret: {name: hooks, key: url}, maxAlerts: 5, sendResolved: true}]
          - name: email
            emailConfigs: [{to: oncall@example.com, from: pledge@example.com, smarthost: "smtp.example.com:587", authUsername: pledge, authPassword: {name: smtp, key: password}, headers: [{key: X-Team, value: sre}]}]
          - name: slack
            slackConfigs: [{apiURL: {name: slack, key: url}, channel: "#oncall", title: "{{ .CommonLabels.alertname }}", fields: [{title: Service, value: checkout, short: true}]}]
          - name: pagerduty
            pagerdutyConfigs: [{routingKey: {name: pd, key: key}, severity: critical, details: [{key: team, value: sre}], pagerDutyLinkConfigs: [{href: "https://runbooks.example.com", alt: runbook}]}]
          - name: opsgenie
            opsgenieConfigs: [{apiKey: {name: og, key: key}, message: burn, priority: P1, responders: [{type: team, name: sre}], details: [{key: team, value: sre}]}]
          - name: discord
            discordConfigs: [{apiURL: {name: discord, key: url}, title: burn}]
      - name: lead
        after: 30m
        receivers:
          - name: victorops
            victoropsConfigs: [{apiKey: {name: vo, key: key}, routingKey: sre, customFields: [{key: team, value: sre}]}]
          - name: pushover
            pushoverConfigs: [{userKey: {name: po, key: user}, token: {name: po, key: token}, priority: "1", retry: 1m, expire: 1h}]
          - name: sns
            snsConfigs: [{apiURL: "https://sns.eu-west-1.amazonaws.com", topicARN: "arn:aws:sns:eu-west-1:123456789012:pledge", subject: burn, attributes: {team: sre}}]
          - name: telegram
            telegramConfigs: [{botToken: {name: tg, key: token}, chatID: 12345, parseMode: HTML}]
          - name: msteams
            msteamsConfigs: [{webhookUrl: {name: teams, key: url}, title: burn}]
          - name: msteamsv2
            msteamsv2Configs: [{webhookURL: {name: teams, key: url}, title: burn}]
          - name: rocketchat
            rocketchatConfigs: [{apiURL: "https://chat.example.com", channel: "#oncall", token: {name: rc, key: token}, tokenID: {name: rc, key: id}}]
`

// TestPlainFormatEveryReceiverKind: every receiver kind of the AlertmanagerConfig schema renders
// into the plain Alertmanager format under its snake_case names, secrets as *_file paths, and
// the real amtool accepts the configuration.
func TestPlainFormatEveryReceiverKind(t *testing.T) {
	stds := resolveYAML(t, everyReceiverKind)
	b, err := render.AlertmanagerFile(stds, render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		"webhook_configs:", "url_file: /etc/alertmanager/secrets/shop/hooks/url", "max_alerts: 5",
		"email_configs:", "auth_password_file: /etc/alertmanager/secrets/shop/smtp/password", "X-Team: sre",
		"slack_configs:", "api_url_file: /etc/alertmanager/secrets/shop/slack/url",
		"pagerduty_configs:", "routing_key_file:", "links:", "opsgenie_configs:", "api_key_file: /etc/alertmanager/secrets/shop/og/key",
		"responders:", "discord_configs:", "webhook_url_file: /etc/alertmanager/secrets/shop/discord/url",
		"text: runbook", "victorops_configs:", "custom_fields:",
		"pushover_configs:", "user_key_file:", "token_file:", "sns_configs:", "topic_arn:",
		"telegram_configs:", "bot_token_file:", "chat_id: 12345", "parse_mode: HTML",
		"msteams_configs:", "msteamsv2_configs:", "rocketchat_configs:", "token_id_file:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plain configuration lacks %q", want)
		}
	}
	amtool := os.Getenv("AMTOOL")
	if amtool == "" {
		if os.Getenv("PLEDGE_REQUIRE_TOOLS") != "" {
			t.Fatal("AMTOOL is not set")
		}
		t.Skip("AMTOOL not set: run through make test to check the configuration with the real amtool")
	}
	path := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(amtool, "check-config", path).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config refuses the plain configuration: %v\n%s\n%s", err, out, got)
	}
}

// TestPlainFormatRefuses: what the plain format cannot carry — httpConfig (its secrets and TLS
// files have no generic mapping) and WeChat receivers (their API secret is read only inline) — is
// an error naming it, never dropped.
func TestPlainFormatRefuses(t *testing.T) {
	for field, edit := range map[string][2]string{
		"httpConfig": {"webhookConfigs: [{urlSecret: {name: hooks, key: url}, maxAlerts: 5, sendResolved: true}]",
			"webhookConfigs: [{url: \"https://hooks.example.com\", httpConfig: {followRedirects: true}}]"},
		"wechatConfigs": {"          - name: victorops\n", "          - name: wechat\n            wechatConfigs: [{apiSecret: {name: wechat, key: secret}, corpID: corp}]\n          - name: victorops\n"},
	} {
		doc := strings.Replace(everyReceiverKind, edit[0], edit[1], 1)
		_, err := render.AlertmanagerFile(resolveYAML(t, doc), render.SMTP{})
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "not supported by the plain alertmanager format") {
			t.Errorf("%s: error %v, want one naming the field", field, err)
		}
	}
}

// TestOperatorValidation: what prometheus-operator's own validation refuses in a receiver (an
// OpsGenie responder without id, name or username; a Slack action without text) is refused by
// Resolve with the config's field path.
func TestOperatorValidation(t *testing.T) {
	for want, receiver := range map[string]string{
		"spec.escalation.tiers[0].receivers[0].opsgenieConfigs[0]": `{name: og, opsgenieConfigs: [{apiKey: {name: og, key: key}, responders: [{type: team}]}]}`,
		"spec.escalation.tiers[0].receivers[0].slackConfigs[0]":    `{name: sl, slackConfigs: [{apiURL: {name: s, key: u}, actions: [{type: button, url: "https://x.example.com"}]}]}`,
	} {
		doc := `metadata: {name: v, namespace: shop}
spec:
  service: v
  objectives: [{name: a, target: "99", ratio: {errors: 'x_total{code="500"}', total: x_total}}]
  escalation:
    tiers: [{name: t, after: 0m, receivers: [` + receiver + `]}]
`
		var std pledgev1.ServiceStandard
		if err := yaml.Unmarshal([]byte(doc), &std); err != nil {
			t.Fatal(err)
		}
		_, errs := render.Resolve(&std, nil)
		found := false
		for _, e := range errs {
			found = found || e.Field == want
		}
		if !found {
			t.Errorf("Resolve errors %v, want one on %s", errs, want)
		}
	}
}
