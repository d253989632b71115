# The Snowflake side of the lakehouse: database, schemas, warehouse, roles and grants, and
# the objects through which Snowflake reads bronze in S3 (storage integration + stage for
# files, external volume + catalog integration for the Delta tables as Iceberg tables).

locals {
  database_identifier = "\"${snowflake_database.lakehouse.name}\""
  schema_identifiers  = { for name, schema in snowflake_schema.layer : name => "${local.database_identifier}.\"${schema.name}\"" }
  built_schemas       = [for name in var.schema_names : name if name != "BRONZE"]
  published_schemas   = [for name in var.schema_names : name if contains(["SILVER", "GOLD"], name)]
}

resource "snowflake_database" "lakehouse" {
  name    = var.database_name
  comment = "Lakehouse: bronze read from S3, silver and gold built by dbt."
}

resource "snowflake_schema" "layer" {
  for_each = toset(var.schema_names)

  database = snowflake_database.lakehouse.name
  name     = each.value
}

resource "snowflake_warehouse" "transform" {
  name                = var.warehouse_name
  warehouse_size      = var.warehouse_size
  auto_suspend        = var.warehouse_auto_suspend_seconds
  auto_resume         = true
  initially_suspended = true
  comment             = "dbt builds; suspends after ${var.warehouse_auto_suspend_seconds}s idle."
}

# --- Reading the lake ------------------------------------------------------------------

resource "snowflake_storage_integration" "lake" {
  name                      = var.storage_integration_name
  type                      = "EXTERNAL_STAGE"
  enabled                   = true
  storage_provider          = "S3"
  storage_aws_role_arn      = var.storage_aws_role_arn
  storage_aws_external_id   = var.storage_aws_external_id
  storage_allowed_locations = [var.lake_root_url]
  comment                   = "Read-only access to the lake root through the Snowflake access role."
}

resource "snowflake_stage" "lake" {
  name                = var.stage_name
  database            = snowflake_database.lakehouse.name
  schema              = snowflake_schema.layer["BRONZE"].name
  url                 = var.lake_root_url
  storage_integration = snowflake_storage_integration.lake.name
  comment             = "The lake root: bronze Delta files and the reference Parquet files."
}

# The provider's external-volume and catalog-integration resources are preview features
# whose schema may change in any minor release, so these two objects are plain SQL with
# their own revert; `query` shows their current definition in the state.
resource "snowflake_execute" "external_volume" {
  execute = <<-SQL
    CREATE EXTERNAL VOLUME IF NOT EXISTS ${var.external_volume_name}
      STORAGE_LOCATIONS = ((
        NAME = 'lake'
        STORAGE_PROVIDER = 'S3'
        STORAGE_BASE_URL = '${var.lake_root_url}'
        STORAGE_AWS_ROLE_ARN = '${var.storage_aws_role_arn}'
        STORAGE_AWS_EXTERNAL_ID = '${var.storage_aws_external_id}'
        ENCRYPTION = (TYPE = 'AWS_SSE_KMS' KMS_KEY_ID = '${var.kms_key_arn}')
      ))
      ALLOW_WRITES = FALSE
      COMMENT = 'The lake root; Iceberg tables over bronze Delta tables'
  SQL
  revert  = "DROP EXTERNAL VOLUME IF EXISTS ${var.external_volume_name}"
  query   = "DESCRIBE EXTERNAL VOLUME ${var.external_volume_name}"
}

resource "snowflake_execute" "delta_catalog" {
  execute = <<-SQL
    CREATE CATALOG INTEGRATION IF NOT EXISTS ${var.catalog_integration_name}
      CATALOG_SOURCE = OBJECT_STORE
      TABLE_FORMAT = DELTA
      ENABLED = TRUE
      COMMENT = 'Delta transaction logs of the bronze tables, read from the external volume'
  SQL
  revert  = "DROP CATALOG INTEGRATION IF EXISTS ${var.catalog_integration_name}"
  query   = "DESCRIBE CATALOG INTEGRATION ${var.catalog_integration_name}"
}

# --- Roles and grants --------------------------------------------------------------------

resource "snowflake_account_role" "transformer" {
  name    = var.transformer_role_name
  comment = "dbt: reads bronze from the lake, builds staging, silver and gold."
}

resource "snowflake_account_role" "reader" {
  name    = var.reader_role_name
  comment = "Reads silver and gold."
}

resource "snowflake_grant_account_role" "to_parent" {
  for_each = toset([snowflake_account_role.transformer.name, snowflake_account_role.reader.name])

  role_name        = each.value
  parent_role_name = var.parent_role_name
}

resource "snowflake_grant_privileges_to_account_role" "warehouse" {
  for_each = toset([snowflake_account_role.transformer.name, snowflake_account_role.reader.name])

  account_role_name = each.value
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.transform.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "database" {
  for_each = toset([snowflake_account_role.transformer.name, snowflake_account_role.reader.name])

  account_role_name = each.value
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.lakehouse.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_integrations" {
  for_each = toset([var.storage_integration_name, var.catalog_integration_name])

  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "INTEGRATION"
    object_name = each.value
  }
  depends_on = [snowflake_storage_integration.lake, snowflake_execute.delta_catalog]
}

resource "snowflake_grant_privileges_to_account_role" "transformer_volume" {
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "EXTERNAL VOLUME"
    object_name = var.external_volume_name
  }
  depends_on = [snowflake_execute.external_volume]
}

resource "snowflake_grant_privileges_to_account_role" "transformer_stage" {
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]
  on_schema_object {
    object_type = "STAGE"
    object_name = snowflake_stage.lake.fully_qualified_name
  }
}

# Bronze: the transformer creates the Iceberg and external tables over the lake there.
resource "snowflake_grant_privileges_to_account_role" "transformer_bronze" {
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE", "CREATE ICEBERG TABLE", "CREATE EXTERNAL TABLE", "CREATE TABLE", "CREATE VIEW"]
  on_schema {
    schema_name = local.schema_identifiers["BRONZE"]
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_built" {
  for_each = toset(local.built_schemas)

  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE", "CREATE TABLE", "CREATE VIEW"]
  on_schema {
    schema_name = local.schema_identifiers[each.value]
  }
}

resource "snowflake_grant_privileges_to_account_role" "reader_schemas" {
  for_each = toset(local.published_schemas)

  account_role_name = snowflake_account_role.reader.name
  privileges        = ["USAGE"]
  on_schema {
    schema_name = local.schema_identifiers[each.value]
  }
}

# dbt re-creates tables on every full build: grant on future tables, not today's.
resource "snowflake_grant_privileges_to_account_role" "reader_future_tables" {
  for_each = toset(local.published_schemas)

  account_role_name = snowflake_account_role.reader.name
  privileges        = ["SELECT"]
  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_schema          = local.schema_identifiers[each.value]
    }
  }
}
