/**
 * A pointer drag from a handle (a splitter, a column's border): the pointer is captured, the page shows the resize
 * cursor and selects no text meanwhile, `move` gets the distance from the start, `end` runs once at the release.
 */
export function trackDrag(handle: HTMLElement, down: PointerEvent, axis: 'x' | 'y', move: (delta: number) => void, end: () => void): void {
  down.preventDefault()
  const from = axis === 'x' ? down.clientX : down.clientY
  handle.setPointerCapture(down.pointerId)
  handle.classList.add('dragging')
  document.body.classList.add('resizing', axis === 'x' ? 'col' : 'row')
  const onMove = (e: PointerEvent) => move((axis === 'x' ? e.clientX : e.clientY) - from)
  const onUp = () => {
    handle.removeEventListener('pointermove', onMove)
    handle.removeEventListener('pointerup', onUp)
    handle.removeEventListener('pointercancel', onUp)
    handle.classList.remove('dragging')
    document.body.classList.remove('resizing', 'col', 'row')
    end()
  }
  handle.addEventListener('pointermove', onMove)
  handle.addEventListener('pointerup', onUp)
  handle.addEventListener('pointercancel', onUp)
}
