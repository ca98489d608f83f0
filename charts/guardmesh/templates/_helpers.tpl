{{/* Names and labels shared by every template. */}}

{{- define "guardmesh.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "guardmesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: guardmesh
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "guardmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "guardmesh.operatorName" -}}
{{- printf "%s-operator" (include "guardmesh.fullname" .) -}}
{{- end -}}

{{- define "guardmesh.serviceAccountName" -}}
{{- default (include "guardmesh.operatorName" .) .Values.operator.serviceAccount.name -}}
{{- end -}}

{{- define "guardmesh.webhookService" -}}
{{- printf "%s-webhook" (include "guardmesh.fullname" .) -}}
{{- end -}}

{{- define "guardmesh.certSecret" -}}
{{- default (printf "%s-webhook-tls" (include "guardmesh.fullname" .)) .Values.certs.secretName -}}
{{- end -}}

{{- define "guardmesh.certificate" -}}
{{- printf "%s-webhook" (include "guardmesh.fullname" .) -}}
{{- end -}}

{{- define "guardmesh.mutatingName" -}}
{{- printf "%s-inject" (include "guardmesh.fullname" .) -}}
{{- end -}}

{{- define "guardmesh.validatingName" -}}
{{- printf "%s-validate" (include "guardmesh.fullname" .) -}}
{{- end -}}

{{- define "guardmesh.image" -}}
{{- printf "%s:%s" .image.repository (default .chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* The DNS names the webhook Service answers to, in the serving certificate. */}}
{{- define "guardmesh.dnsNames" -}}
{{- $svc := include "guardmesh.webhookService" . -}}
- {{ $svc }}
- {{ $svc }}.{{ .Release.Namespace }}
- {{ $svc }}.{{ .Release.Namespace }}.svc
{{- end -}}

{{/* clientConfig of one webhook: a URL (operator outside the cluster) or the Service; `path` is passed in. */}}
{{- define "guardmesh.clientConfig" -}}
{{- $root := .root -}}
{{- if $root.Values.webhook.url }}
url: {{ printf "%s%s" $root.Values.webhook.url .path | quote }}
{{- else }}
service:
  name: {{ include "guardmesh.webhookService" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ .path }}
  port: {{ $root.Values.webhook.servicePort }}
{{- end }}
{{- if eq $root.Values.certs.mode "provided" }}
caBundle: {{ required "certs.mode=provided needs webhook.caBundle (base64 PEM)" $root.Values.webhook.caBundle }}
{{- end }}
{{- end -}}

{{/* Annotations of both webhook configurations: cert-manager's CA injector fills their caBundle. */}}
{{- define "guardmesh.webhookAnnotations" -}}
{{- if eq .Values.certs.mode "cert-manager" }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "guardmesh.certificate" .) }}
{{- end }}
{{- end -}}

{{/* Namespaces never injected: the system ones, the release's own (the operator must start without itself), and extra ones. */}}
{{- define "guardmesh.excludedNamespaces" -}}
{{- $names := list "kube-system" "kube-public" "kube-node-lease" .Release.Namespace -}}
{{- range .Values.webhook.excludeNamespaces }}{{ $names = append $names . }}{{ end -}}
{{- toJson (uniq $names) -}}
{{- end -}}
