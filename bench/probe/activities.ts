// Owns the probe activity: does nothing but answer, so a probe measures Temporal alone.
export function createProbeActivities() {
  return {
    async probe(input: string): Promise<string> {
      return input;
    },
  };
}

export type ProbeActivities = ReturnType<typeof createProbeActivities>;
