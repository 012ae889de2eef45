{{- define "tern-operator.name" -}}tern-operator{{- end -}}

{{- define "tern-operator.fullname" -}}
{{- if contains "tern-operator" .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-tern-operator" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "tern-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "tern-operator.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "tern-operator.selectorLabels" -}}
app.kubernetes.io/name: tern-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tern-operator.labels" -}}
{{ include "tern-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Rules of least privilege: what the reconcilers read and write, nothing else (no pods/exec, no secrets). */}}
{{- define "tern-operator.rules" -}}
- apiGroups: ["tern.io"]
  resources: ["brokerclusters", "topics", "consumergroups"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["tern.io"]
  resources: ["brokerclusters/status", "topics/status", "consumergroups/status"]
  verbs: ["get", "patch"]
- apiGroups: ["tern.io"]
  resources: ["topics/finalizers", "consumergroups/finalizers", "brokerclusters/finalizers"]
  verbs: ["update"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services", "configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "delete"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "patch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors", "podmonitors"]
  verbs: ["get", "list", "create", "patch", "delete"]
{{- end -}}

{{/* The watched namespaces as a list (empty: all): watchNamespaces plus the older single watchNamespace. */}}
{{- define "tern-operator.watchedNamespaces" -}}
{{- $names := .Values.watchNamespaces | default list -}}
{{- if .Values.watchNamespace }}{{ $names = append $names .Values.watchNamespace }}{{ end -}}
{{- $names | uniq | toJson -}}
{{- end -}}
