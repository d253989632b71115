variable "name" {
  type        = string
  description = "Name of the EMR Serverless application, e.g. lakehouse-prod-spark."
}

variable "release_label" {
  type        = string
  description = "EMR release; its Spark must match the pyspark pinned in pyproject.toml (4.1) for the Delta and Kafka jars in jvm/spark/pom.xml."
}

variable "architecture" {
  type        = string
  description = "CPU architecture of the workers: ARM64 (cheaper) or X86_64."
  default     = "ARM64"

  validation {
    condition     = contains(["ARM64", "X86_64"], var.architecture)
    error_message = "architecture is ARM64 or X86_64."
  }
}

variable "maximum_capacity" {
  type = object({
    cpu    = string
    memory = string
    disk   = string
  })
  description = "Upper bound of what all running jobs of the application may use together (caps the bill)."
  default = {
    cpu    = "32 vCPU"
    memory = "128 GB"
    disk   = "500 GB"
  }
}

variable "idle_timeout_minutes" {
  type        = number
  description = "Minutes without jobs after which the application stops (and stops costing)."
  default     = 15
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets the workers run in, to reach a Kafka cluster inside a VPC; empty runs without VPC access."
  default     = []
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the workers (used with subnet_ids)."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
