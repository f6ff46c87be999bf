terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Keep state remote and encrypted: it holds the database password.
  # backend "s3" {
  #   bucket = "your-terraform-state"
  #   key    = "service/terraform.tfstate"
  #   region = "us-east-1"
  #   encrypt = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Service   = var.name
      ManagedBy = "terraform"
    }
  }
}
