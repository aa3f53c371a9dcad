// What the spiral and MNIST sections share: a button that runs one training, disabled
// while it runs, with the section's state (for the tests) and its status line on failure.

export function onTrain(section: HTMLElement, button: HTMLButtonElement, status: HTMLElement, train: () => Promise<void>): void {
  button.addEventListener('click', () => {
    button.disabled = true;
    section.dataset.state = 'training';
    train()
      .then(() => {
        section.dataset.state = 'done';
      })
      .catch((error: unknown) => {
        console.error(error);
        section.dataset.state = 'failed';
        status.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
}
