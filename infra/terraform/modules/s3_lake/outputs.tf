output "bucket_name" {
  description = "Name of the lake bucket."
  value       = aws_s3_bucket.lake.id
}

output "bucket_arn" {
  description = "ARN of the lake bucket."
  value       = aws_s3_bucket.lake.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the bucket; readers and writers need kms:Decrypt / GenerateDataKey on it."
  value       = aws_kms_key.lake.arn
}

output "prefixes" {
  description = "Key prefixes of each area (bronze, silver, checkpoints, artifacts, logs)."
  value       = var.prefixes
}

output "lake_root_uri" {
  description = "lake.root for conf/<env>.yaml (s3a:// for Spark)."
  value       = "s3a://${aws_s3_bucket.lake.id}/lake"
}

output "checkpoint_root_uri" {
  description = "lake.checkpoint_root for conf/<env>.yaml."
  value       = "s3a://${aws_s3_bucket.lake.id}/${trimsuffix(var.prefixes.checkpoints, "/")}"
}

output "artifacts_uri" {
  description = "Where the job's entry point, Python package and jars are uploaded for EMR."
  value       = "s3://${aws_s3_bucket.lake.id}/${var.prefixes.artifacts}"
}

output "logs_uri" {
  description = "Where EMR Serverless writes job logs."
  value       = "s3://${aws_s3_bucket.lake.id}/${var.prefixes.logs}"
}
