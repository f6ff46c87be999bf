output "url" {
  description = "Where the service answers."
  value       = "${var.certificate_arn == "" ? "http" : "https"}://${aws_lb.web.dns_name}"
}

output "cluster" {
  description = "The ECS cluster (for release.sh)."
  value       = aws_ecs_cluster.main.name
}

output "migrate_task_definition" {
  description = "The migration task (for release.sh)."
  value       = aws_ecs_task_definition.migrate.arn
}

output "private_subnets" {
  description = "Where release.sh runs the migration task."
  value       = join(",", module.vpc.private_subnets)
}

output "tasks_security_group" {
  description = "The tasks' security group (for release.sh)."
  value       = aws_security_group.tasks.id
}
