# One environment: the lake bucket, the roles, the EMR application and the Snowflake side.
# The Snowflake role ARN is known before the role exists (account id + name), which lets
# the storage integration and the role's trust policy be created in one apply.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  environment         = basename(path.cwd)
  name_prefix         = "lakehouse-${local.environment}"
  snowflake_role_name = "${local.name_prefix}-snowflake-access"
  snowflake_role_arn  = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${local.snowflake_role_name}"
  tags = {
    project     = "lakehouse"
    environment = local.environment
    managed_by  = "terraform"
  }
}

module "s3_lake" {
  source = "../../modules/s3_lake"

  bucket_name = var.bucket_name
  tags        = local.tags
}

module "emr" {
  source = "../../modules/emr"

  name               = "${local.name_prefix}-spark"
  release_label      = var.emr_release_label
  subnet_ids         = var.emr_subnet_ids
  security_group_ids = var.emr_security_group_ids
  tags               = local.tags
}

module "iam" {
  source = "../../modules/iam"

  name_prefix            = local.name_prefix
  bucket_arn             = module.s3_lake.bucket_arn
  kms_key_arn            = module.s3_lake.kms_key_arn
  prefixes               = module.s3_lake.prefixes
  emr_application_arns   = [module.emr.application_arn]
  snowflake_role_name    = local.snowflake_role_name
  snowflake_iam_user_arn = module.snowflake.storage_aws_iam_user_arn
  snowflake_external_id  = var.snowflake_external_id
  tags                   = local.tags
}

module "snowflake" {
  source = "../../modules/snowflake"

  lake_root_url           = "s3://${module.s3_lake.bucket_name}/lake/"
  storage_aws_role_arn    = local.snowflake_role_arn
  storage_aws_external_id = var.snowflake_external_id
  kms_key_arn             = module.s3_lake.kms_key_arn
}
