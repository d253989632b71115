output "emr_job_role_arn" {
  description = "Execution role ARN for EMR Serverless job runs (Airflow's conf/prod.yaml)."
  value       = aws_iam_role.emr_job.arn
}

output "snowflake_role_arn" {
  description = "ARN of the role Snowflake assumes (must equal the snowflake module's storage_aws_role_arn)."
  value       = aws_iam_role.snowflake.arn
}
