variable "name_prefix" {
  type        = string
  description = "Prefix of the role and policy names, e.g. lakehouse-prod."
}

variable "bucket_arn" {
  type        = string
  description = "ARN of the lake bucket (s3_lake output bucket_arn)."
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the lake's KMS key (s3_lake output kms_key_arn)."
}

variable "prefixes" {
  type = object({
    bronze      = string
    silver      = string
    checkpoints = string
    artifacts   = string
    logs        = string
  })
  description = "Key prefixes of the lake bucket (s3_lake output prefixes)."
}

variable "emr_application_arns" {
  type        = list(string)
  description = "EMR Serverless applications allowed to assume the job role; empty allows any application of this account."
  default     = []
}

variable "snowflake_role_name" {
  type        = string
  description = "Name of the role Snowflake assumes; the snowflake module is given its ARN before the role exists."
}

variable "snowflake_iam_user_arn" {
  type        = string
  description = "Snowflake's AWS IAM user (storage integration property STORAGE_AWS_IAM_USER_ARN)."
}

variable "snowflake_external_id" {
  type        = string
  description = "External ID Snowflake presents when it assumes the role (the storage integration's and external volume's STORAGE_AWS_EXTERNAL_ID)."
  sensitive   = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
