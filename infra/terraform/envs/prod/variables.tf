variable "aws_region" {
  type        = string
  description = "AWS region of the lake bucket and the EMR application (conf/<env>.yaml s3.region)."
}

variable "bucket_name" {
  type        = string
  description = "Globally unique name of the lake bucket."
}

variable "emr_release_label" {
  type        = string
  description = "EMR Serverless release whose Spark matches pyspark 4.1 (see infra/terraform/README.md)."
}

variable "emr_subnet_ids" {
  type        = list(string)
  description = "Private subnets for the EMR workers, to reach Kafka; empty for no VPC access."
  default     = []
}

variable "emr_security_group_ids" {
  type        = list(string)
  description = "Security groups of the EMR workers."
  default     = []
}

variable "snowflake_organization_name" {
  type        = string
  description = "Snowflake organization (the first part of <org>-<account>.snowflakecomputing.com)."
}

variable "snowflake_account_name" {
  type        = string
  description = "Snowflake account name within the organization."
}

variable "snowflake_admin_role" {
  type        = string
  description = "Role Terraform uses in Snowflake; it must be able to create integrations (ACCOUNTADMIN or a delegated role)."
  default     = "ACCOUNTADMIN"
}

variable "snowflake_external_id" {
  type        = string
  description = "External ID Snowflake presents to AWS when it assumes the access role; any random string, kept secret."
  sensitive   = true
}
