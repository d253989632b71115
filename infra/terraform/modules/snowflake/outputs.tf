output "database_name" {
  description = "The lakehouse database (LAKEHOUSE)."
  value       = snowflake_database.lakehouse.name
}

output "schema_names" {
  description = "Schemas of the database."
  value       = [for schema in snowflake_schema.layer : schema.name]
}

output "warehouse_name" {
  description = "Warehouse for dbt (SNOWFLAKE_WAREHOUSE)."
  value       = snowflake_warehouse.transform.name
}

output "transformer_role_name" {
  description = "Role for dbt (SNOWFLAKE_ROLE)."
  value       = snowflake_account_role.transformer.name
}

output "reader_role_name" {
  description = "Read-only role on silver and gold."
  value       = snowflake_account_role.reader.name
}

output "storage_integration_name" {
  description = "Storage integration behind the stage (LAKEHOUSE_S3_INTEGRATION)."
  value       = snowflake_storage_integration.lake.name
}

output "storage_aws_iam_user_arn" {
  description = "Snowflake's AWS IAM user; the iam module's Snowflake role trusts it."
  value       = snowflake_storage_integration.lake.storage_aws_iam_user_arn
}

output "stage_fully_qualified_name" {
  description = "The lake stage (LAKEHOUSE.BRONZE.LAKE_STAGE)."
  value       = snowflake_stage.lake.fully_qualified_name
}

output "external_volume_name" {
  description = "External volume over the lake root (LAKEHOUSE_LAKE_VOLUME)."
  value       = var.external_volume_name
  depends_on  = [snowflake_execute.external_volume]
}

output "catalog_integration_name" {
  description = "Catalog integration for Delta tables in object storage (LAKEHOUSE_DELTA_CATALOG)."
  value       = var.catalog_integration_name
  depends_on  = [snowflake_execute.delta_catalog]
}
