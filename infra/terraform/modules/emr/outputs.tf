output "application_id" {
  description = "EMR Serverless application id that job runs are submitted to."
  value       = aws_emrserverless_application.spark.id
}

output "application_arn" {
  description = "ARN of the application (the job role's trust can be narrowed to it)."
  value       = aws_emrserverless_application.spark.arn
}
