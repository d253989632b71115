# The environment owns the providers and the backend; the modules only name what they need.
terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = "~> 2.3"
    }
  }

  # Partial configuration: the state bucket is given at `terraform init`
  # (-backend-config="bucket=<state bucket>"); see infra/terraform/README.md.
  backend "s3" {
    key          = "lakehouse/dev/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

# Credentials from the environment: SNOWFLAKE_USER and SNOWFLAKE_PRIVATE_KEY (key-pair
# authentication); never in files.
provider "snowflake" {
  organization_name = var.snowflake_organization_name
  account_name      = var.snowflake_account_name
  role              = var.snowflake_admin_role
  authenticator     = "SNOWFLAKE_JWT"
  # The stage and storage integration resources are preview features of provider 2.x.
  preview_features_enabled = ["snowflake_stage_resource", "snowflake_storage_integration_resource"]
}
