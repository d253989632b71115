# Modules name the providers they need; the environments (envs/*) configure them.
terraform {
  required_version = ">= 1.6"

  required_providers {
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = ">= 2.3, < 3.0"
    }
  }
}
