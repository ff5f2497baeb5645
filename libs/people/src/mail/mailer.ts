import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfig } from '@sigdesk/config';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one-time link the mail carries: logged instead of sent where no SMTP server is configured. */
  link: string;
}

/**
 * Sends the mails of people's accounts (invitations, password resets) through `SIGDESK_SMTP_URL`. Without it,
 * outside production, the link is logged so that a development install works without a mail server; in production
 * nothing is logged but a warning, as the link is a credential.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter | null;

  constructor(private readonly config: AppConfig) {
    this.transport = config.people.smtpUrl ? createTransport(config.people.smtpUrl) : null;
  }

  async send(mail: Mail): Promise<void> {
    if (!this.transport) {
      if (this.config.env === 'production') {
        this.logger.warn({ subject: mail.subject }, 'no mail sent: SIGDESK_SMTP_URL is not set');
      } else {
        this.logger.log({ to: mail.to, subject: mail.subject, link: mail.link }, 'mail not sent (no SMTP server)');
      }
      return;
    }
    await this.transport.sendMail({
      from: this.config.people.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    });
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
