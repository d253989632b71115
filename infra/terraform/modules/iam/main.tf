# Two roles: the EMR job role (the Spark job reads and writes the lake) and the role
# Snowflake assumes to read it. Each can touch only its prefixes and the lake's key.

data "aws_caller_identity" "current" {}

locals {
  lake_prefixes = [var.prefixes.bronze, var.prefixes.silver]
  # The job writes tables and checkpoints, reads its artifacts, writes its logs.
  job_read_write_prefixes = [var.prefixes.bronze, var.prefixes.silver, var.prefixes.checkpoints]
  # Reference data (lake/reference/) sits under the lake root next to bronze and silver.
  lake_root_prefix = "${split("/", var.prefixes.bronze)[0]}/"
}

# --- EMR Serverless job role ---------------------------------------------------------

data "aws_iam_policy_document" "emr_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }
    # Only this account's applications (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    dynamic "condition" {
      for_each = length(var.emr_application_arns) > 0 ? [1] : []
      content {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = var.emr_application_arns
      }
    }
  }
}

resource "aws_iam_role" "emr_job" {
  name                 = "${var.name_prefix}-emr-job"
  description          = "Runs the lakehouse Spark jobs on EMR Serverless: lake prefixes only."
  assume_role_policy   = data.aws_iam_policy_document.emr_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "emr_job" {
  statement {
    sid       = "ListLakePrefixes"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values = concat(
        ["", local.lake_root_prefix, "${local.lake_root_prefix}*"],
        [for prefix in concat(local.job_read_write_prefixes, [var.prefixes.artifacts]) : "${prefix}*"],
      )
    }
  }

  statement {
    sid = "ReadWriteTablesAndCheckpoints"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = concat(
      [for prefix in local.job_read_write_prefixes : "${var.bucket_arn}/${prefix}*"],
      ["${var.bucket_arn}/${local.lake_root_prefix}reference/*"],
    )
  }

  statement {
    sid       = "ReadJobArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${var.prefixes.artifacts}*"]
  }

  statement {
    sid       = "WriteJobLogs"
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket_arn}/${var.prefixes.logs}*"]
  }

  statement {
    sid       = "UseLakeKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "emr_job" {
  name   = "${var.name_prefix}-emr-job-lake"
  role   = aws_iam_role.emr_job.id
  policy = data.aws_iam_policy_document.emr_job.json
}

# --- Snowflake access role (storage integration + external volume) --------------------

data "aws_iam_policy_document" "snowflake_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.snowflake_iam_user_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.snowflake_external_id]
    }
  }
}

resource "aws_iam_role" "snowflake" {
  name                 = var.snowflake_role_name
  description          = "Assumed by Snowflake (storage integration, external volume) to read the lake."
  assume_role_policy   = data.aws_iam_policy_document.snowflake_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "snowflake" {
  statement {
    sid       = "ListLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["", local.lake_root_prefix, "${local.lake_root_prefix}*"]
    }
  }

  statement {
    sid       = "ReadLake"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.bucket_arn}/${local.lake_root_prefix}*"]
  }

  statement {
    sid       = "DecryptLake"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "snowflake" {
  name   = "${var.name_prefix}-snowflake-read-lake"
  role   = aws_iam_role.snowflake.id
  policy = data.aws_iam_policy_document.snowflake.json
}
