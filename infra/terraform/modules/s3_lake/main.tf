# The lake bucket: one bucket, one prefix per area (bronze, silver, checkpoints, job
# artifacts, logs), encrypted with the lake's own KMS key, versioned, private, TLS only.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

data "aws_iam_policy_document" "lake_key" {
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key itself, and only this account's root and named admins get it
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is the key itself (AWS's documented default key policy), not every resource
  #checkov:skip=CKV_AWS_109:permissions management of the key stays with the account root and the named admin roles, as AWS's default key policy does
  # Key policies must name the account, or nobody (not even IAM policies) can use the key.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy "*" means this key only
    principals {
      type        = "AWS"
      identifiers = concat([local.account_root], var.kms_admin_role_arns)
    }
  }
}

resource "aws_kms_key" "lake" {
  description             = "Encrypts the ${var.bucket_name} lake bucket (SSE-KMS)."
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.lake_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${var.bucket_name}"
  target_key_id = aws_kms_key.lake.key_id
}

resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_18:server access logs would need a second bucket that itself cannot log; CloudTrail S3 data events are the audit trail (see infra/terraform/README.md)
  #checkov:skip=CKV_AWS_144:cross-region replication is a disaster-recovery choice per account (doubles storage); bronze can be re-ingested from Kafka within retention
  #checkov:skip=CKV2_AWS_62:no consumer of object events: Airflow schedules the jobs, nothing reacts to new objects
  bucket = var.bucket_name
  tags   = var.tags
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.lake.arn
    }
    # One data key per bucket instead of one KMS call per object: Delta writes many files.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  # Glacier Instant Retrieval, not Glacier Flexible: Delta and Snowflake read old files in
  # place (time travel, full scans), which a restore-first storage class would break.
  rule {
    id     = "bronze-to-glacier-ir"
    status = "Enabled"
    filter {
      prefix = var.prefixes.bronze
    }
    transition {
      days          = var.bronze_archive_after_days
      storage_class = "GLACIER_IR"
    }
  }

  rule {
    id     = "silver-to-glacier-ir"
    status = "Enabled"
    filter {
      prefix = var.prefixes.silver
    }
    transition {
      days          = var.silver_archive_after_days
      storage_class = "GLACIER_IR"
    }
  }

  rule {
    id     = "expire-job-logs"
    status = "Enabled"
    filter {
      prefix = var.prefixes.logs
    }
    expiration {
      days = var.log_retention_days
    }
  }

  # Versioning keeps every overwritten Delta checkpoint and log file; bound what it keeps.
  rule {
    id     = "whole-bucket-hygiene"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

data "aws_iam_policy_document" "lake_bucket" {
  statement {
    sid     = "RefuseNonTlsAccess"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake.arn,
      "${aws_s3_bucket.lake.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake_bucket.json

  # A bucket policy applied before the public access block could be judged public.
  depends_on = [aws_s3_bucket_public_access_block.lake]
}
