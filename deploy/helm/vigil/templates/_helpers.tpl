{{/* Common labels and the engine environment shared by the hub and every worker. */}}
{{- define "vigil.labels" -}}
app.kubernetes.io/name: vigil
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "vigil.env" -}}
- name: VIGIL_KAFKA_BOOTSTRAP
  value: {{ .Values.engines.kafka.bootstrapServers | quote }}
- name: VIGIL_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.engines.postgres.urlSecret.name }}, key: {{ .Values.engines.postgres.urlSecret.key }}}
- name: VIGIL_S3_ENDPOINT
  value: {{ .Values.engines.s3.endpoint | quote }}
- name: VIGIL_S3_BUCKET_PREFIX
  value: {{ .Values.engines.s3.bucketPrefix | quote }}
- name: AWS_REGION
  value: {{ .Values.engines.s3.region | quote }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: {name: {{ .Values.engines.s3.accessKeySecret.name }}, key: {{ .Values.engines.s3.accessKeySecret.key }}}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.engines.s3.secretKeySecret.name }}, key: {{ .Values.engines.s3.secretKeySecret.key }}}
- name: VIGIL_REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.engines.redis.urlSecret.name }}, key: {{ .Values.engines.redis.urlSecret.key }}}
{{- end -}}
