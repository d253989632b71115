variable "database_name" {
  type        = string
  description = "Database of the lakehouse (dbt's snowflake target)."
  default     = "LAKEHOUSE"
}

variable "schema_names" {
  type        = list(string)
  description = "Schemas in the database: bronze (landed data), staging (dbt views), silver, gold."
  default     = ["BRONZE", "STAGING", "SILVER", "GOLD"]
}

variable "warehouse_name" {
  type        = string
  description = "Warehouse dbt runs on."
  default     = "LAKEHOUSE_WH"
}

variable "warehouse_size" {
  type        = string
  description = "Size of the warehouse (XSMALL is enough for the dbt models)."
  default     = "XSMALL"
}

variable "warehouse_auto_suspend_seconds" {
  type        = number
  description = "Seconds of idleness after which the warehouse suspends (and stops billing)."
  default     = 60
}

variable "transformer_role_name" {
  type        = string
  description = "Role dbt uses: reads bronze through the stage and integrations, builds staging, silver and gold."
  default     = "LAKEHOUSE_TRANSFORMER"
}

variable "reader_role_name" {
  type        = string
  description = "Read-only role for analysts and BI on silver and gold."
  default     = "LAKEHOUSE_READER"
}

variable "parent_role_name" {
  type        = string
  description = "Role the two lakehouse roles are granted to, so it can manage what they own."
  default     = "SYSADMIN"
}

variable "storage_integration_name" {
  type        = string
  description = "Storage integration behind the lake stage."
  default     = "LAKEHOUSE_S3_INTEGRATION"
}

variable "stage_name" {
  type        = string
  description = "External stage over the lake root, in the BRONZE schema."
  default     = "LAKE_STAGE"
}

variable "external_volume_name" {
  type        = string
  description = "External volume over the lake root, for Iceberg tables read from bronze's Delta files."
  default     = "LAKEHOUSE_LAKE_VOLUME"
}

variable "catalog_integration_name" {
  type        = string
  description = "Catalog integration that reads Delta table metadata from object storage."
  default     = "LAKEHOUSE_DELTA_CATALOG"
}

variable "lake_root_url" {
  type        = string
  description = "s3:// URL of the lake root, ending in '/' (bronze's Delta tables live under it)."

  validation {
    condition     = startswith(var.lake_root_url, "s3://") && endswith(var.lake_root_url, "/")
    error_message = "lake_root_url is an s3:// URL ending in '/'."
  }
}

variable "storage_aws_role_arn" {
  type        = string
  description = "ARN of the AWS role Snowflake assumes to read the lake (iam module's snowflake role)."
}

variable "storage_aws_external_id" {
  type        = string
  description = "External ID Snowflake presents when assuming the role; the same value goes to the role's trust policy."
  sensitive   = true
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the lake bucket; the external volume reads SSE-KMS objects with it."
}
