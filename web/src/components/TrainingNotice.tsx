// Detective's training-period notice: newly observed values mean little until the baseline holds two weeks.
import type { TrainingNotice as Notice } from '../lib/types';

export function TrainingNotice({ training }: { training: Notice | null | undefined }) {
  if (!training) return null;
  return (
    <p className="notice training" role="note" data-training-days={training.baselineDays}>
      Still learning: the lake holds {training.baselineDays} of the {training.requiredDays} days of baseline data this needs, so some of
      what shows as newly observed or increased may be normal activity not seen before.
    </p>
  );
}
