package render

// What the tests of package render_test reach inside the package.
var (
	// RuleFileGroups is ruleFileGroups.
	RuleFileGroups = ruleFileGroups
	// AppendRuleGroupsYAML is appendRuleGroupsYAML.
	AppendRuleGroupsYAML = appendRuleGroupsYAML
	// EncodeYAML is encodeYAML, the generic encoder the rule-file writer must equal.
	EncodeYAML = encodeYAML
	// PrometheusRuleBound is (*Standard).prometheusRuleBound.
	PrometheusRuleBound = (*Standard).prometheusRuleBound
)
