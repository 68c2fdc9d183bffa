/**
 * The simulator's Files API storage: uploaded batch inputs and the output/error files batches produce, in memory,
 * served as OpenAI's `file` objects (`{id, object:"file", bytes, created_at, filename, purpose, status}`).
 */

export type FilePurpose = 'batch' | 'batch_output' | 'assistants' | 'fine-tune' | 'vision' | 'user_data' | 'evals';

/** Purposes a client may upload with (batch_output is the simulator's own). */
export const UPLOAD_PURPOSES: readonly string[] = ['batch', 'assistants', 'fine-tune', 'vision', 'user_data', 'evals'];

export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: FilePurpose;
  readonly createdAt: number;
  readonly content: Buffer;
}

export class FileStore {
  readonly #files = new Map<string, StoredFile>();
  #seq = 0;

  /** `createdAt`: Unix seconds. */
  add(filename: string, purpose: FilePurpose, content: Buffer, createdAt: number): StoredFile {
    const file = {
      id: `file-sim${(++this.#seq).toString(36).padStart(6, '0')}`,
      filename,
      purpose,
      createdAt,
      content,
    };
    this.#files.set(file.id, file);
    return file;
  }

  get(id: string): StoredFile | undefined {
    return this.#files.get(id);
  }

  delete(id: string): boolean {
    return this.#files.delete(id);
  }
}

/** OpenAI's `file` object. */
export function fileObject(file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
  };
}
