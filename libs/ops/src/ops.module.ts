import { Module } from '@nestjs/common';
import { BuildsModule } from '@sigdesk/builds';
import { ReviewModule } from '@sigdesk/review';
import { MetricsService } from './metrics.service';

@Module({ imports: [ReviewModule, BuildsModule], providers: [MetricsService], exports: [MetricsService] })
export class OpsModule {}
