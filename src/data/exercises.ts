// The data contract with the app (DESIGN.md): exercises, angle channels, score
// dimensions and per-exercise profiles. These values are facts the app relies on.

export const EXERCISES = ['squat', 'pushup', 'plank', 'bicep_curl', 'lunge'] as const;
export type Exercise = (typeof EXERCISES)[number];

export const ANGLES = [
  'leftKnee', 'rightKnee', 'leftHip', 'rightHip', 'leftElbow', 'rightElbow',
  'leftShoulder', 'rightShoulder', 'spineAngle',
] as const;
export type Angle = (typeof ANGLES)[number];

/** (left, right) channel indices: knees, hips, elbows, shoulders. */
export const BILATERAL_PAIRS: readonly (readonly [number, number])[] = [[0, 1], [2, 3], [4, 5], [6, 7]];

export const DIMENSIONS = ['depth', 'stability', 'symmetry', 'tempo', 'alignment', 'overall'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const FRAMES = 90;
export const N_ANGLES = ANGLES.length; // 9
/** Values in one rep, a flat (90, 9) array of angles in degrees. */
export const REP_SIZE = FRAMES * N_ANGLES;
export const N_FEATURES = 2 * N_ANGLES; // 18: angles/180 then frame differences/30
export const N_SCORES = DIMENSIONS.length; // 6
export const MAX_ANGLE = 180;

/** Hybrid blend used by the app: 30 % rules, 70 % network. */
export const HYBRID_RULE_WEIGHT = 0.3;

export interface ExerciseProfile {
  neutral: readonly number[]; // 9 angles, degrees
  peak: readonly number[]; // 9 angles, degrees
  idealRom: number; // degrees of the primary joint
  primaryJoint: number; // channel index
  isometric: boolean;
  /** Rule-based alignment error for one frame of 9 angles. */
  alignmentError: (frame: ArrayLike<number>, offset: number) => boolean;
}

const SPINE = 8;
const spineOver = (limit: number) => (a: ArrayLike<number>, o: number) => a[o + SPINE] > limit;

export const PROFILES: Record<Exercise, ExerciseProfile> = {
  squat: {
    neutral: [170, 170, 170, 170, 160, 160, 85, 85, 10],
    peak: [85, 85, 75, 75, 160, 160, 85, 85, 20],
    idealRom: 85, primaryJoint: 0, isometric: false, alignmentError: spineOver(35),
  },
  pushup: {
    neutral: [170, 170, 170, 170, 160, 160, 90, 90, 5],
    peak: [170, 170, 170, 170, 80, 80, 90, 90, 5],
    idealRom: 80, primaryJoint: 4, isometric: false, alignmentError: spineOver(20),
  },
  plank: {
    neutral: [170, 170, 170, 170, 90, 90, 90, 90, 2],
    peak: [170, 170, 170, 170, 90, 90, 90, 90, 2],
    idealRom: 5, primaryJoint: SPINE, isometric: true,
    alignmentError: (a, o) => a[o + 2] < 150 || a[o + 3] < 150,
  },
  bicep_curl: {
    neutral: [170, 170, 170, 170, 160, 160, 170, 170, 5],
    peak: [170, 170, 170, 170, 40, 40, 170, 170, 5],
    idealRom: 120, primaryJoint: 4, isometric: false, alignmentError: spineOver(35),
  },
  lunge: {
    neutral: [170, 170, 170, 170, 160, 160, 85, 85, 10],
    peak: [90, 120, 100, 115, 160, 160, 85, 85, 12],
    idealRom: 80, primaryJoint: 0, isometric: false, alignmentError: spineOver(35),
  },
};

export function isExercise(name: string): name is Exercise {
  return (EXERCISES as readonly string[]).includes(name);
}

/** Resolves a CLI `--exercise` value ("all" or one name) to a list, or throws a one-line error. */
export function resolveExercises(value: string): Exercise[] {
  if (value === 'all') return [...EXERCISES];
  if (isExercise(value)) return [value];
  throw new Error(`unknown exercise "${value}" (expected all or one of: ${EXERCISES.join(', ')})`);
}
