output "lake_root_uri" {
  description = "lake.root for conf/<env>.yaml."
  value       = module.s3_lake.lake_root_uri
}

output "checkpoint_root_uri" {
  description = "lake.checkpoint_root for conf/<env>.yaml."
  value       = module.s3_lake.checkpoint_root_uri
}

output "artifacts_uri" {
  description = "Upload the job's entry point, package and jars here for EMR."
  value       = module.s3_lake.artifacts_uri
}

output "logs_uri" {
  description = "EMR job logs (monitoringConfiguration.s3MonitoringConfiguration.logUri)."
  value       = module.s3_lake.logs_uri
}

output "emr_application_id" {
  description = "EMR Serverless application id for job runs (Airflow)."
  value       = module.emr.application_id
}

output "emr_job_role_arn" {
  description = "Execution role ARN for EMR job runs (Airflow)."
  value       = module.iam.emr_job_role_arn
}

output "snowflake_role_arn" {
  description = "Role Snowflake assumes; equals the ARN given to the storage integration."
  value       = module.iam.snowflake_role_arn
}

output "snowflake_stage" {
  description = "The lake stage for dbt's Snowflake sources."
  value       = module.snowflake.stage_fully_qualified_name
}

output "snowflake_external_volume" {
  description = "External volume for Iceberg tables over bronze."
  value       = module.snowflake.external_volume_name
}

output "snowflake_catalog_integration" {
  description = "Catalog integration for the bronze Delta tables."
  value       = module.snowflake.catalog_integration_name
}

output "snowflake_warehouse" {
  description = "SNOWFLAKE_WAREHOUSE for dbt."
  value       = module.snowflake.warehouse_name
}

output "snowflake_transformer_role" {
  description = "SNOWFLAKE_ROLE for dbt."
  value       = module.snowflake.transformer_role_name
}
