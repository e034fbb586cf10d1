"""Print spooler of the office printer."""

from pytest_trace_opt import trainable


class PrintQueue:
    """Jobs wait in the queue and are printed in the order they were submitted."""

    def __init__(self):
        self.jobs = []

    def submit(self, job):
        self.jobs.append(job)

    def __len__(self):
        return len(self.jobs)

    @trainable
    def next_job(self):
        """Remove and return the job to print next: the one that has waited
        longest. Raises IndexError when no job is waiting."""
        return self.jobs.pop(0)
