variable "bucket_name" {
  type        = string
  description = "Globally unique name of the lake bucket (conf/<env>.yaml lake.root is s3a://<bucket_name>/lake)."
}

variable "prefixes" {
  type = object({
    bronze      = string
    silver      = string
    checkpoints = string
    artifacts   = string
    logs        = string
  })
  description = "Key prefixes inside the bucket, each ending in '/'. bronze and silver must sit under the lake root that conf/ points at."
  default = {
    bronze      = "lake/bronze/"
    silver      = "lake/silver/"
    checkpoints = "checkpoints/"
    artifacts   = "artifacts/"
    logs        = "logs/"
  }

  validation {
    condition     = alltrue([for prefix in values(var.prefixes) : endswith(prefix, "/") && !startswith(prefix, "/")])
    error_message = "Every prefix ends in '/' and does not start with one."
  }
}

variable "bronze_archive_after_days" {
  type        = number
  description = "Days after which bronze objects move to Glacier Instant Retrieval."
  default     = 90
}

variable "silver_archive_after_days" {
  type        = number
  description = "Days after which silver objects move to Glacier Instant Retrieval."
  default     = 180
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days a replaced or deleted object version is kept (versioning is on) before it expires."
  default     = 30
}

variable "log_retention_days" {
  type        = number
  description = "Days EMR job logs under the logs prefix are kept."
  default     = 90
}

variable "kms_admin_role_arns" {
  type        = list(string)
  description = "IAM roles allowed to administer the lake's KMS key, besides the account root."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
