"""Customer notifications for appointments: e-mail, SMS and their French templates."""
